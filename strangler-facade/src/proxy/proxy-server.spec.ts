/**
 * The pipeline steps in order, with a fake proxy core (no network): what reaches the core, and
 * what the client gets when a step ends the request early or the core fails.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { pino } from 'pino';

import { ActiveRules } from '../rules/active-rules.js';
import type { ForwardFailure, OutgoingRequest, ProxyCore } from './proxy-core.js';
import { createProxyHandler } from './proxy-server.js';

const ROUTES = `version: 1
settings:
  limits: { maxRequestBodyBytes: 100 }
upstreams:
  legacy: { url: http://127.0.0.1:3001 }
  cards-service: { url: http://127.0.0.1:3002 }
rules:
  - name: cards-get-by-id
    match: { methods: [GET], path: /cards/:id }
    upstream: cards-service
default:
  upstream: legacy
`;

interface Written {
  status?: number;
  headers: string[];
  body?: string;
}

function fakeExchange(url: string, rawHeaders: string[] = [], method = 'GET') {
  const headers: Record<string, string> = {};
  for (let index = 0; index < rawHeaders.length; index += 2) {
    headers[rawHeaders[index].toLowerCase()] = rawHeaders[index + 1]!;
  }
  const req = {
    url,
    method,
    rawHeaders,
    headers,
    socket: { remoteAddress: '::ffff:10.0.0.5' },
    on() {},
    once() {},
    off() {},
  } as unknown as IncomingMessage;
  const written: Written = { headers: [] };
  const state = { headersSent: false };
  const res = {
    get headersSent() {
      return state.headersSent;
    },
    writeHead(status: number, list: string[]) {
      written.status = status;
      written.headers = list;
      state.headersSent = true;
    },
    end(body?: string) {
      written.body = body;
    },
    destroy() {},
    on() {},
    once() {},
    off() {},
  } as unknown as ServerResponse;
  return { req, res, written };
}

describe('proxy pipeline', () => {
  let directory: string;
  let rules: ActiveRules;
  let forwarded: OutgoingRequest[];
  let failWith: ForwardFailure | null;
  const core: ProxyCore = {
    forwardRequest: async (_req, _res, outgoing) => {
      forwarded.push(outgoing);
      return failWith;
    },
    close: async () => undefined,
  };
  const settle = () => new Promise((resolve) => setImmediate(resolve));

  beforeAll(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'proxy-pipeline-'));
    await writeFile(path.join(directory, 'routes.yaml'), ROUTES);
    rules = await ActiveRules.load(path.join(directory, 'routes.yaml'), 'routes.yaml', {});
  });
  afterAll(() => rm(directory, { recursive: true, force: true }));
  beforeEach(() => {
    forwarded = [];
    failWith = null;
  });

  const handler = (routeHeaders = true) =>
    createProxyHandler({ rules, core, routeHeaders, logger: pino({ level: 'silent' }) });

  it('hands the core the matched upstream, the normalised path with the query, and the headers', async () => {
    const { req, res } = fakeExchange('//cards/./7?full=1', [
      'Accept',
      'application/json',
      'X-Request-Id',
      'r-1',
    ]);
    handler()(req, res);
    await settle();
    expect(forwarded).toHaveLength(1);
    const outgoing = forwarded[0];
    expect(outgoing.upstream.name).toBe('cards-service');
    expect(outgoing.method).toBe('GET');
    expect(outgoing.path).toBe('/cards/7?full=1');
    expect(outgoing.headers).toEqual([
      'Accept',
      'application/json',
      'traceparent',
      expect.stringMatching(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/),
      'x-request-id',
      'r-1',
      'x-forwarded-for',
      '10.0.0.5',
      'x-forwarded-proto',
      'http',
      'forwarded',
      'for=10.0.0.5;proto=http',
    ]);
    expect(outgoing.responseHeaders).toEqual([
      'x-request-id',
      'r-1',
      'x-strangler-route',
      'cards-get-by-id',
      'x-strangler-upstream',
      'cards-service',
    ]);
  });

  it('leaves the route headers out when they are switched off', async () => {
    const { req, res } = fakeExchange('/feed', ['X-Request-Id', 'r-2']);
    handler(false)(req, res);
    await settle();
    expect(forwarded[0]?.responseHeaders).toEqual(['x-request-id', 'r-2']);
  });

  it('refuses Content-Length with Transfer-Encoding before anything else, closing the connection', async () => {
    const { req, res, written } = fakeExchange(
      '/cards/1',
      ['Content-Length', '3', 'Transfer-Encoding', 'chunked'],
      'POST',
    );
    handler()(req, res);
    await settle();
    expect(forwarded).toHaveLength(0);
    expect(written.status).toBe(400);
    expect(written.headers).toEqual(expect.arrayContaining(['connection', 'close']));
    expect(JSON.parse(written.body ?? '')).toMatchObject({
      error: 'bad_request',
      message: expect.stringMatching(/Content-Length and Transfer-Encoding/),
    });
  });

  it('refuses an ambiguous path with 400 and the request id', async () => {
    const { req, res, written } = fakeExchange('/cards%2F1', ['X-Request-Id', 'r-3']);
    handler()(req, res);
    await settle();
    expect(forwarded).toHaveLength(0);
    expect(written.status).toBe(400);
    expect(JSON.parse(written.body ?? '')).toEqual({
      error: 'bad_request',
      message: 'encoded slash (%2F) in path',
      requestId: 'r-3',
    });
  });

  it('turns a core failure into the JSON gateway error, with route headers', async () => {
    failWith = { status: 504, error: 'gateway_timeout', message: 'too slow', kind: 'timeout' };
    const { req, res, written } = fakeExchange('/cards/9', ['X-Request-Id', 'r-4']);
    handler()(req, res);
    await settle();
    expect(written.status).toBe(504);
    expect(written.headers).toEqual(
      expect.arrayContaining(['x-strangler-route', 'cards-get-by-id', 'x-request-id', 'r-4']),
    );
    expect(JSON.parse(written.body ?? '')).toEqual({
      error: 'gateway_timeout',
      message: 'too slow',
      upstream: 'cards-service',
      requestId: 'r-4',
    });
  });

  it('drops internal headers of an untrusted client and keeps a valid traceparent', async () => {
    const { req, res } = fakeExchange('/cards/1', [
      'X-Strangler-Cohort',
      'staff',
      'X-Strangler-Upstream',
      'legacy',
      'traceparent',
      '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    ]);
    handler()(req, res);
    await settle();
    const outgoing = forwarded[0];
    expect(outgoing?.upstream.name).toBe('cards-service'); // the selector was ignored
    const names = (outgoing?.headers ?? []).filter((_, index) => index % 2 === 0);
    expect(names).not.toContain('X-Strangler-Cohort');
    expect(names).not.toContain('X-Strangler-Upstream');
    const traceparent = outgoing?.headers[outgoing.headers.indexOf('traceparent') + 1];
    expect(traceparent).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/);
  });

  it('refuses a declared body over maxRequestBodyBytes with 413 before the core', async () => {
    const { req, res, written } = fakeExchange(
      '/cards',
      ['Content-Length', '101', 'X-Request-Id', 'r-5'],
      'POST',
    );
    handler()(req, res);
    await settle();
    expect(forwarded).toHaveLength(0);
    expect(written.status).toBe(413);
    expect(JSON.parse(written.body ?? '')).toMatchObject({
      error: 'payload_too_large',
      requestId: 'r-5',
    });
  });
});
