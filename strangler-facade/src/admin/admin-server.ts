/**
 * The admin plane, on its own port so it is never exposed with the data plane by accident.
 * Every path but `/health` needs a bearer token (`admin-auth.ts`): reads the read or the write
 * token, changes the write token.
 *
 *   GET    /health                     liveness (no token)
 *   GET    /rules                      the active compiled rules in order (with canary, shadow,
 *                                      fallback, conditions), upstreams, file, version, loadedAt
 *   GET    /status                     file version, last reload error, upstreams, circuits, shadow queue
 *   GET    /schema                     the JSON Schema of routes.yaml
 *   GET    /explain?method&path&header=name:value&cookie=name:value&query=name=value&client=ip
 *                                      which rule, upstream, canary bucket, shadow, fallback
 *   GET    /shadow/summary             per route "N failing of M compared", fields, noise ratios
 *   GET    /shadow/mismatches?rule&limit
 *   GET    /shadow/cases?rule&include  a rule's stored mismatches and sampled matches, with its
 *                                      comparison options (for `strangler routes record-cases`)
 *   GET    /rollouts                   staged rollouts: step, since, counts, last decision and why
 *   GET    /metrics                    Prometheus text
 *   PUT    /rules/{name}/upstream      {upstream}                 ┐ need the bearer token; edit
 *   PUT    /rules/{name}/canary        {upstream, percent}        │ routes.yaml through rules-edit
 *   DELETE /rules/{name}/canary                                   │ (comments kept, validated,
 *   PUT    /rules/{name}/shadow        {upstream, percent}        │ atomic), then reload; answer
 *   DELETE /rules/{name}/shadow                                   ┘ the new version
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

import { NAME_PATTERN } from '../rules/rule-schema.js';

import type { FacadeMetrics } from '../observability/metrics.js';
import type { CircuitBreakers } from '../resilience/circuit-breaker.js';
import type { RolloutController } from '../rollout/rollout-controller.js';
import type { ActiveRules } from '../rules/active-rules.js';
import { describeRules, describeStatus, describeUpstreams } from '../rules/describe-rules.js';
import { routesJsonSchema } from '../rules/routes-json-schema.js';
import {
  editRulesFile,
  InvalidEditError,
  RulesEditRefusedError,
  RulesFileChangedError,
  UnknownRuleError,
  type RulesEditor,
} from '../rules-edit/index.js';
import type { ShadowDispatcher } from '../shadow/shadow-dispatcher.js';
import type { ShadowRecorder } from '../shadow/shadow-recorder.js';
import {
  adminChangesEnabled,
  createAdminAuth,
  type AdminAccess,
  type AdminTokens,
} from './admin-auth.js';
import { explainRequest } from './explain-request.js';

export interface AdminServerOptions {
  readonly rules: ActiveRules;
  /** Bearer tokens; with none configured, everything but `/health` answers 403. */
  readonly tokens?: AdminTokens;
  /** Client time limits of the admin listener (defaults `ADMIN_TIMEOUTS`). */
  readonly timeouts?: Partial<AdminTimeouts>;
  readonly metrics?: FacadeMetrics | null;
  readonly breakers?: CircuitBreakers | null;
  readonly recorder?: ShadowRecorder | null;
  readonly dispatcher?: ShadowDispatcher | null;
  readonly rollout?: RolloutController | null;
}

/** How long a client may take, so idle or slow connections cannot pile up on the admin port. */
export interface AdminTimeouts {
  /** Until the request headers are complete (408 after). */
  readonly headersMs: number;
  /** Until the whole request is received (408 after). */
  readonly requestMs: number;
  /** An idle keep-alive connection is closed after this. */
  readonly keepAliveMs: number;
}

export const ADMIN_TIMEOUTS: AdminTimeouts = {
  headersMs: 10_000,
  requestMs: 30_000,
  keepAliveMs: 5_000,
};

type Reply = { status: number; body: unknown; text?: string; contentType?: string };
type Handler = (req: IncomingMessage, url: URL) => Promise<Reply> | Reply;

const MAX_BODY = 64 * 1024;

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
  ) {
    super(String(body.message ?? body.error));
  }
}

export function createAdminServer(rulesOrOptions: ActiveRules | AdminServerOptions): Server {
  const options: AdminServerOptions =
    'rules' in rulesOrOptions ? rulesOrOptions : { rules: rulesOrOptions };
  const { rules } = options;
  const tokens = options.tokens ?? {};
  const authorise = createAdminAuth(tokens);
  const requireAccess = (req: IncomingMessage, access: AdminAccess): void => {
    const auth = authorise(req, access);
    if (!auth.ok) {
      throw new HttpError(auth.status, {
        error: auth.status === 401 ? 'unauthorized' : 'forbidden',
        message: auth.message,
      });
    }
  };
  const ok = (body: unknown): Reply => ({ status: 200, body });

  const reads: Record<string, Handler> = {
    '/health': () => ok({ status: 'ok' }),
    '/rules': () => {
      const current = rules.current;
      const settings = current.table.settings;
      return ok({
        file: rules.file,
        version: current.version,
        hash: current.hash,
        loadedAt: current.loadedAt.toISOString(),
        ...describeRules(current.table),
        upstreams: describeUpstreams(current.table),
        settings: {
          routeHeaders: settings.routeHeaders,
          caseSensitive: settings.caseSensitive,
          trustedProxies: settings.trustedProxies,
          trustedClients: settings.trustedClients,
          internalHeaders: [...settings.internalHeaders],
          secrets: settings.secrets.config,
          limits: settings.limits,
          upgrades: settings.upgrades,
        },
      });
    },
    '/status': () =>
      ok({
        ...describeStatus(rules),
        circuits: options.breakers?.states() ?? {},
        shadow: options.dispatcher
          ? {
              pending: options.dispatcher.pending,
              completed: options.dispatcher.completed,
              dropped: options.dispatcher.dropped,
            }
          : null,
        adminMutations: adminChangesEnabled(tokens),
      }),
    '/schema': () => ok(routesJsonSchema()),
    '/explain': (_req, url) =>
      ok(explainRequest(rules.current.table, url, options.breakers ?? null)),
    '/shadow/summary': () => ok(options.recorder?.describeSummary() ?? { routes: [], table: '' }),
    '/shadow/mismatches': (_req, url) => {
      const limit = Math.min(200, Math.max(1, Number(url.searchParams.get('limit') ?? 20) || 20));
      const rule = url.searchParams.get('rule') ?? undefined;
      return ok({ mismatches: options.recorder?.mismatches(rule, limit) ?? [] });
    },
    '/shadow/cases': (_req, url) => {
      const rule = url.searchParams.get('rule') ?? '';
      if (rule === '') return { status: 400, body: { error: 'rule is required: ?rule=<name>' } };
      const include = (url.searchParams.get('include') ?? 'mismatches,matches')
        .split(',')
        .map((part) => part.trim())
        .filter((part) => part !== '');
      const unknown = include.filter((part) => part !== 'mismatches' && part !== 'matches');
      if (unknown.length > 0) {
        return {
          status: 400,
          body: { error: `include: unknown ${unknown.join(', ')} (mismatches, matches)` },
        };
      }
      const compiled = rules.current.table.rules.find((candidate) => candidate.name === rule);
      const limit = 200;
      return ok({
        rule,
        pathPattern: compiled?.pathPattern ?? null,
        compare: compiled?.shadow?.comparison.options ?? null,
        mismatches: include.includes('mismatches')
          ? (options.recorder?.mismatches(rule, limit) ?? [])
          : [],
        matches: include.includes('matches') ? (options.recorder?.matches(rule, limit) ?? []) : [],
      });
    },
    '/rollouts': () => ok({ rollouts: options.rollout?.statuses() ?? [] }),
    '/metrics': async () => ({
      status: 200,
      body: null,
      text: options.metrics ? await options.metrics.text() : '',
      contentType: options.metrics?.registry.contentType ?? 'text/plain; version=0.0.4',
    }),
  };

  const edit = async (ruleName: string, change: (editor: RulesEditor) => void): Promise<Reply> => {
    try {
      const result = await editRulesFile(rules.file, change, { sourceName: rules.sourceName });
      await rules.reload();
      const current = rules.current;
      return ok({
        rule: ruleName,
        changed: result.changed,
        version: current.version,
        hash: current.hash,
        fileHash: result.hash,
      });
    } catch (error) {
      if (error instanceof UnknownRuleError) {
        throw new HttpError(404, {
          error: 'unknown_rule',
          message: error.message,
          errors: error.errors,
        });
      }
      if (error instanceof InvalidEditError || error instanceof RulesEditRefusedError) {
        throw new HttpError(422, {
          error: 'invalid_edit',
          message: error.message,
          errors: error.errors,
        });
      }
      if (error instanceof RulesFileChangedError) {
        throw new HttpError(409, { error: 'file_changed', message: error.message });
      }
      throw error;
    }
  };

  /** `/rules/{name}/{what}` mutations. */
  const mutate = async (req: IncomingMessage, rule: string, what: string): Promise<Reply> => {
    const method = req.method ?? 'GET';
    if (what === 'upstream' && method === 'PUT') {
      const body = await jsonBody(req);
      const upstream = stringField(body, 'upstream');
      return edit(rule, (editor) => editor.setUpstream(rule, upstream));
    }
    if ((what === 'canary' || what === 'shadow') && method === 'PUT') {
      const body = await jsonBody(req);
      const split = {
        upstream: stringField(body, 'upstream'),
        percent: numberField(body, 'percent'),
      };
      return edit(rule, (editor) =>
        what === 'canary' ? editor.setCanary(rule, split) : editor.setShadow(rule, split),
      );
    }
    if ((what === 'canary' || what === 'shadow') && method === 'DELETE') {
      return edit(rule, (editor) =>
        what === 'canary' ? editor.clearCanary(rule) : editor.clearShadow(rule),
      );
    }
    throw new HttpError(405, {
      error: 'method_not_allowed',
      message: `${method} not allowed here`,
    });
  };

  const route = async (req: IncomingMessage): Promise<Reply> => {
    const url = new URL(req.url ?? '/', 'http://admin.invalid');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    const mutation = /^\/rules\/([^/]+)\/(upstream|canary|shadow)$/.exec(path);
    if (mutation !== null) {
      if (method !== 'PUT' && method !== 'DELETE') {
        throw new HttpError(405, { error: 'method_not_allowed', message: 'use PUT or DELETE' });
      }
      requireAccess(req, 'write');
      return mutate(req, ruleNameOf(mutation[1] ?? ''), mutation[2] ?? '');
    }
    const read = reads[path];
    if (read === undefined) {
      throw new HttpError(404, { error: 'not_found', paths: Object.keys(reads) });
    }
    if (method !== 'GET' && method !== 'HEAD') {
      throw new HttpError(405, { error: 'method_not_allowed' });
    }
    if (path !== '/health') requireAccess(req, 'read');
    return read(req, url);
  };

  const timeouts = { ...ADMIN_TIMEOUTS, ...options.timeouts };
  const server = createServer(
    {
      headersTimeout: Math.min(timeouts.headersMs, timeouts.requestMs),
      requestTimeout: timeouts.requestMs,
      keepAliveTimeout: timeouts.keepAliveMs,
      // how often the timeouts above are checked; Node's default (30 s) would let them slip
      connectionsCheckingInterval: Math.min(1_000, timeouts.headersMs),
    },
    (req, res) => {
      route(req).then(
        (reply) => send(res, reply),
        (error: unknown) => {
          if (error instanceof HttpError) {
            if (error.status === 405) res.setHeader('allow', 'GET, HEAD');
            if (error.status === 401) res.setHeader('www-authenticate', 'Bearer');
            send(res, { status: error.status, body: error.body });
          } else {
            send(res, { status: 500, body: { error: 'internal', message: String(error) } });
          }
        },
      );
    },
  );
  return server;
}

/** The `{name}` of `/rules/{name}/...`: percent-decoded, and a rule name or a 400 saying why. */
function ruleNameOf(encoded: string): string {
  let name: string;
  try {
    name = decodeURIComponent(encoded);
  } catch {
    throw new HttpError(400, {
      error: 'bad_request',
      message: `rule name "${encoded}" in the path is not valid percent-encoding`,
    });
  }
  if (!NAME_PATTERN.test(name) || name.length > 64) {
    throw new HttpError(400, {
      error: 'bad_request',
      message:
        `rule name ${JSON.stringify(name)} is not a rule name: lower-case words joined by ` +
        'dashes, e.g. "cards-get-by-id"',
    });
  }
  return name;
}

function send(res: ServerResponse, reply: Reply): void {
  const payload = reply.text ?? JSON.stringify(reply.body, null, 2) + '\n';
  res.writeHead(reply.status, {
    'content-type': reply.contentType ?? 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
    'cache-control': 'no-store',
  });
  res.end(payload);
}

async function jsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of req) {
    bytes += (chunk as Buffer).length;
    if (bytes > MAX_BODY) throw new HttpError(413, { error: 'payload_too_large' });
    chunks.push(chunk as Buffer);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, { error: 'bad_request', message: 'body must be JSON' });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new HttpError(400, { error: 'bad_request', message: 'body must be a JSON object' });
  }
  return parsed as Record<string, unknown>;
}

function stringField(body: Record<string, unknown>, name: string): string {
  const value = body[name];
  if (typeof value !== 'string' || value === '') {
    throw new HttpError(400, { error: 'bad_request', message: `"${name}" must be a string` });
  }
  return value;
}

function numberField(body: Record<string, unknown>, name: string): number {
  const value = body[name];
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new HttpError(400, { error: 'bad_request', message: `"${name}" must be a number` });
  }
  return value;
}
