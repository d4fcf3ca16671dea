import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';

export interface RewritingProxy {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * A GET-only proxy to `upstreamUrl` that passes JSON answers through `rewrite` (to check that
 * the contract suite notices a changed field).
 */
export async function startRewritingProxy(
  upstreamUrl: string,
  rewrite: (body: unknown) => unknown,
): Promise<RewritingProxy> {
  const server = http.createServer((req, res) => {
    request(upstreamUrl + (req.url ?? '/'))
      .then(async (upstream) => {
        const text = await upstream.body.text();
        const type = String(upstream.headers['content-type'] ?? '');
        const body = type.startsWith('application/json')
          ? JSON.stringify(rewrite(JSON.parse(text)))
          : text;
        res.writeHead(upstream.statusCode, { 'content-type': type });
        res.end(body);
      })
      .catch((error: Error) => res.writeHead(502).end(error.message));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
