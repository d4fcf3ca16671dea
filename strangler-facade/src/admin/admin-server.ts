/**
 * The admin plane, on its own port so it is never exposed with the data plane by accident:
 *   GET /health   liveness
 *   GET /rules    the active compiled rules in order, their upstreams, file, version, loadedAt
 *   GET /status   file version, last reload error (or null), upstreams
 *   GET /schema   the JSON Schema of routes.yaml
 */
import { createServer, type Server, type ServerResponse } from 'node:http';

import type { ActiveRules } from '../rules/active-rules.js';
import { describeRules, describeStatus, describeUpstreams } from '../rules/describe-rules.js';
import { routesJsonSchema } from '../rules/routes-json-schema.js';

export function createAdminServer(rules: ActiveRules): Server {
  const routes: Record<string, () => unknown> = {
    '/health': () => ({ status: 'ok' }),
    '/rules': () => {
      const current = rules.current;
      return {
        file: rules.file,
        version: current.version,
        hash: current.hash,
        loadedAt: current.loadedAt.toISOString(),
        ...describeRules(current.table),
        upstreams: describeUpstreams(current.table),
        settings: {
          routeHeaders: current.table.settings.routeHeaders,
          caseSensitive: current.table.settings.caseSensitive,
          trustedProxies: current.table.settings.trustedProxies,
        },
      };
    },
    '/status': () => describeStatus(rules),
    '/schema': () => routesJsonSchema(),
  };

  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const route = routes[path];
    if (route === undefined)
      return sendJson(res, 404, { error: 'not_found', paths: Object.keys(routes) });
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return sendJson(res, 405, { error: 'method_not_allowed' });
    }
    sendJson(res, 200, route());
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body, null, 2) + '\n';
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
    'cache-control': 'no-store',
  });
  res.end(payload);
}
