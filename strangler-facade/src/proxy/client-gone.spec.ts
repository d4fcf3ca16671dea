import { once } from 'node:events';
import {
  createServer,
  request,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';

import { Pool, errors } from 'undici';

import type { CompiledUpstream } from '../rules/compile-rules.js';
import { ClientGone } from './client-gone.js';
import { createUndiciCore } from './forward-request.js';
import type { ForwardFailure } from './proxy-core.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

async function listen(handler: Handler): Promise<{ server: Server; origin: string }> {
  const server = createServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

interface HangCounts {
  /** `/hang` requests received. */
  received: number;
  /** `/hang` requests whose connection closed (the caller gave up). */
  closed: number;
}

/** Upstream: `/ok` answers 200 at once, `/fail` answers 503, `/hang` never answers. */
function upstreamHandler(hangs: HangCounts): Handler {
  return (req, res) => {
    if (req.url === '/hang') {
      hangs.received += 1;
      res.on('close', () => (hangs.closed += 1));
      return;
    }
    if (req.url === '/fail') {
      res.writeHead(503, { 'content-type': 'text/plain' });
      res.end('down');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('ok');
  };
}

function sink(): Writable {
  return new Writable({ write: (_chunk, _encoding, done) => done() });
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(check()).toBe(true);
}

describe('ClientGone', () => {
  it('emits abort once and remembers it', () => {
    const signal = new ClientGone();
    let emitted = 0;
    signal.on('abort', () => (emitted += 1));
    expect(signal.aborted).toBe(false);
    signal.abort();
    signal.abort();
    expect(signal.aborted).toBe(true);
    expect(emitted).toBe(1);
  });

  describe('as the signal of undici Pool#stream', () => {
    const hangs: HangCounts = { received: 0, closed: 0 };
    let upstream: { server: Server; origin: string };
    let pool: Pool;

    beforeAll(async () => {
      upstream = await listen(upstreamHandler(hangs));
      pool = new Pool(upstream.origin);
    });
    afterAll(async () => {
      await pool.close();
      await closeServer(upstream.server);
    });

    it('holds undici listener only while the request runs', async () => {
      const signal = new ClientGone();
      const streaming = pool.stream({ path: '/ok', method: 'GET', signal }, () => sink());
      expect(signal.listenerCount('abort')).toBe(1);
      await streaming;
      expect(signal.listenerCount('abort')).toBe(0);
      expect(signal.aborted).toBe(false);
    });

    it('drops the listener when the request fails', async () => {
      const dead = await listen(() => undefined);
      const deadOrigin = dead.origin;
      await closeServer(dead.server);
      const deadPool = new Pool(deadOrigin);
      try {
        const signal = new ClientGone();
        await expect(
          deadPool.stream({ path: '/ok', method: 'GET', signal }, () => sink()),
        ).rejects.toMatchObject({ code: 'ECONNREFUSED' });
        expect(signal.listenerCount('abort')).toBe(0);
      } finally {
        await deadPool.close();
      }
    });

    it('aborts the upstream request, which sees its connection close', async () => {
      const { received, closed } = hangs;
      const signal = new ClientGone();
      const streaming = pool.stream({ path: '/hang', method: 'GET', signal }, () => sink());
      await until(() => hangs.received > received);
      signal.abort();
      await expect(streaming).rejects.toBeInstanceOf(errors.RequestAbortedError);
      expect(signal.listenerCount('abort')).toBe(0);
      await until(() => hangs.closed > closed);
    });

    it('refuses to start when already aborted', async () => {
      const signal = new ClientGone();
      signal.abort();
      await expect(
        pool.stream({ path: '/ok', method: 'GET', signal }, () => sink()),
      ).rejects.toBeInstanceOf(errors.RequestAbortedError);
      expect(signal.listenerCount('abort')).toBe(0);
    });
  });
});

describe('createUndiciCore and the client going away', () => {
  const hangs: HangCounts = { received: 0, closed: 0 };
  let upstream: { server: Server; origin: string };
  let front: { server: Server; origin: string };
  const core = createUndiciCore({
    connectTimeoutMs: 2000,
    headersTimeoutMs: 30_000,
    bodyTimeoutMs: 0,
  });
  /** More forwards into one response than EventEmitter's default limit of 10 listeners. */
  const chained = 12;
  const outcomes: (ForwardFailure | null)[] = [];
  const diverted: (ForwardFailure | null)[] = [];
  /** Per `/chain` request: 'close' listeners on the still-open response after the diverted forwards. */
  const listenersAfterDiverted: number[] = [];
  const warnings: Error[] = [];
  const onWarning = (warning: Error): void => {
    warnings.push(warning);
  };

  beforeAll(async () => {
    process.on('warning', onWarning);
    upstream = await listen(upstreamHandler(hangs));
    const compiled = {
      name: 'legacy',
      origin: upstream.origin,
      connections: { max: 128, queue: 1024 },
    } as CompiledUpstream;
    // A minimal front forwarding every request to the upstream. `/chain` is a fallback chain:
    // `chained` diverted 503s from `/fail`, then `/ok`, all into the same response.
    front = await listen((req, res) => {
      const baseline = res.listenerCount('close');
      const forward = (path: string, divert5xx: boolean): Promise<ForwardFailure | null> =>
        core.forwardRequest(req, res, {
          upstream: compiled,
          method: 'GET',
          path,
          headers: [],
          responseHeaders: [],
          divert5xx,
        });
      void (async () => {
        if (req.url === '/chain') {
          for (let i = 0; i < chained; i++) diverted.push(await forward('/fail', true));
          listenersAfterDiverted.push(res.listenerCount('close') - baseline);
          outcomes.push(await forward('/ok', false));
        } else {
          outcomes.push(await forward(req.url ?? '/', false));
        }
      })();
    });
  });
  afterAll(async () => {
    process.off('warning', onWarning);
    await core.close();
    await closeServer(front.server);
    await closeServer(upstream.server);
  });

  it('aborts the upstream request and resolves null when the client disconnects', async () => {
    const { received, closed } = hangs;
    const seen = outcomes.length;
    const req = request(`${front.origin}/hang`, { agent: false });
    req.on('error', () => undefined);
    req.end();
    await until(() => hangs.received > received);
    expect(hangs.closed).toBe(closed);
    req.destroy();
    await until(() => hangs.closed > closed);
    await until(() => outcomes.length > seen);
    expect(outcomes[seen]).toBeNull();
  });

  it('removes its listener from the response after each forward (no MaxListeners warning)', async () => {
    const get = (path: string): Promise<[number, string]> =>
      new Promise((resolve, reject) => {
        request(`${front.origin}${path}`, { agent: false }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve([res.statusCode ?? 0, Buffer.concat(chunks).toString()]));
        })
          .on('error', reject)
          .end();
      });
    const replies = await Promise.all(Array.from({ length: 5 }, () => get('/chain')));
    expect(replies).toEqual(Array.from({ length: 5 }, () => [200, 'ok']));
    expect(listenersAfterDiverted).toEqual([0, 0, 0, 0, 0]);
    expect(diverted).toHaveLength(5 * chained);
    for (const failure of diverted) {
      expect(failure).toMatchObject({ kind: 'status', upstreamStatus: 503 });
    }
    await new Promise((r) => setImmediate(r));
    expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
  });
});
