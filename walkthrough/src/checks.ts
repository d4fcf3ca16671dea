/**
 * The toolkit's own checks, as the walkthrough uses them: requests through the facade (where did
 * it go: `X-Strangler-Upstream`), the facade's admin plane (`/rules`, `/explain`,
 * `/shadow/summary`), the sync's status and verification, and the contract tests' variables.
 */
import { randomUUID } from 'node:crypto';

import pg from 'pg';

import { mintAuthToken } from '../../legacy-monolith/src/auth/auth-token.js';
import type { WalkthroughTarget } from './step.js';

export interface RoutedAnswer {
  readonly status: number;
  readonly rule: string | null;
  readonly upstream: string | null;
  readonly body: string;
}

/** Sends one request through the facade and reports where it went. */
export async function throughFacade(
  target: WalkthroughTarget,
  path: string,
  headers: Record<string, string> = {},
): Promise<RoutedAnswer> {
  const response = await fetch(target.facadeUrl + path, {
    headers,
    signal: AbortSignal.timeout(10_000),
  });
  return {
    status: response.status,
    rule: response.headers.get('x-strangler-route'),
    upstream: response.headers.get('x-strangler-upstream'),
    body: await response.text(),
  };
}

export async function adminGet<T>(target: WalkthroughTarget, pathAndQuery: string): Promise<T> {
  const response = await fetch(target.adminUrl + pathAndQuery, {
    headers: { accept: 'application/json', ...adminAuthorization(target) },
    signal: AbortSignal.timeout(10_000),
  });
  if (!response.ok) throw new Error(`GET ${pathAndQuery} on the admin plane: ${response.status}`);
  return (await response.json()) as T;
}

/** The admin plane's `Authorization` header for `target`, when it has a token. */
export function adminAuthorization(
  target: Pick<WalkthroughTarget, 'adminToken'>,
): Record<string, string> {
  return target.adminToken ? { authorization: `Bearer ${target.adminToken}` } : {};
}

export interface AdminRule {
  readonly name: string;
  readonly upstream: string;
  readonly methods?: readonly string[] | null;
  readonly path?: string | null;
  readonly prefix?: string | null;
  readonly canary?: { readonly upstream: string; readonly percent: number } | null;
  readonly shadow?: { readonly upstream: string; readonly percent?: number } | null;
}

export interface AdminRules {
  readonly version?: number;
  readonly hash?: string;
  readonly rules: readonly AdminRule[];
  readonly default?: { readonly upstream: string } | null;
}

export function facadeRules(target: WalkthroughTarget): Promise<AdminRules> {
  return adminGet<AdminRules>(target, '/rules');
}

/** Where the facade would send a request, without sending it (`/explain`). */
export async function explainRoute(
  target: WalkthroughTarget,
  method: string,
  path: string,
): Promise<{ rule: string | null; upstream: string | null }> {
  const query = new URLSearchParams({ method, path });
  const answer = await adminGet<{ rule?: unknown; upstream?: unknown }>(
    target,
    `/explain?${query.toString()}`,
  );
  const name = (value: unknown): string | null =>
    typeof value === 'string'
      ? value
      : value && typeof value === 'object' && typeof (value as { name?: unknown }).name === 'string'
        ? (value as { name: string }).name
        : null;
  return { rule: name(answer.rule), upstream: name(answer.upstream) };
}

export interface ShadowRoute {
  readonly rule: string;
  readonly method?: string;
  readonly path?: string;
  readonly compared: number;
  readonly failing: number;
  readonly description?: string;
}

export async function shadowSummary(
  target: WalkthroughTarget,
): Promise<{ routes: readonly ShadowRoute[]; table: string }> {
  const summary = await adminGet<{ routes?: ShadowRoute[]; table?: string }>(
    target,
    '/shadow/summary',
  );
  return { routes: summary.routes ?? [], table: summary.table ?? '' };
}

/** Sums compared/failing over a rule's routes. */
export function shadowCounts(
  routes: readonly ShadowRoute[],
  rule: string,
): { compared: number; failing: number } {
  let compared = 0;
  let failing = 0;
  for (const route of routes.filter((r) => r.rule === rule)) {
    compared += route.compared;
    failing += route.failing;
  }
  return { compared, failing };
}

export async function withLegacyDb<T>(
  target: WalkthroughTarget,
  run: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({ connectionString: target.legacyDatabaseUrl });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

/** Published card ids of the example, newest first. */
export function publishedCardIds(target: WalkthroughTarget, limit: number): Promise<string[]> {
  return withLegacyDb(target, async (client) => {
    const { rows } = await client.query<{ id: string }>(
      `SELECT id FROM cards WHERE status = 'published' ORDER BY created_at DESC, id DESC LIMIT $1`,
      [limit],
    );
    return rows.map((row) => row.id);
  });
}

/**
 * What the cards contract suite's `${...}` need (contracts/cards/example.vars.yaml), picked in the
 * legacy database as that file says, with tokens from `mintAuthToken`.
 */
export function cardsSuiteVars(target: WalkthroughTarget): Promise<Record<string, string>> {
  return withLegacyDb(target, async (client) => {
    const one = async (what: string, sql: string, params: unknown[] = []): Promise<string> => {
      const { rows } = await client.query<{ id: string }>(sql, params);
      if (!rows[0]) throw new Error(`the example data has no ${what}`);
      return rows[0].id;
    };
    const member = await one(
      'member',
      `SELECT id FROM users WHERE role = 'member' AND banned_at IS NULL ORDER BY handle LIMIT 1`,
    );
    const otherMember = await one(
      'second member',
      `SELECT id FROM users WHERE role = 'member' AND banned_at IS NULL AND id <> $1
       ORDER BY handle LIMIT 1`,
      [member],
    );
    const banned = await one(
      'banned user',
      `SELECT id FROM users WHERE banned_at IS NOT NULL ORDER BY handle LIMIT 1`,
    );
    const hidden = await one(
      'hidden card',
      `SELECT id FROM cards WHERE status = 'hidden' ORDER BY id LIMIT 1`,
    );
    const commented = await one(
      'card with 3 comments',
      `SELECT c.id FROM cards c JOIN comments m ON m.card_id = c.id WHERE c.status = 'published'
       GROUP BY c.id HAVING count(*) >= 3 ORDER BY count(*) DESC, c.id LIMIT 1`,
    );
    const token = (userId: string) => mintAuthToken(userId, target.authTokenSecret);
    return {
      memberId: member,
      memberToken: token(member),
      otherMemberToken: token(otherMember),
      bannedToken: token(banned),
      strangerToken: token(randomUUID()),
      hiddenCardId: hidden,
      commentedCardId: commented,
    };
  });
}

export interface JsonAnswer extends RoutedAnswer {
  /** The body parsed as JSON (undefined when it is not JSON). */
  readonly json: unknown;
}

/** Sends a request with a bearer token and an optional JSON body to `baseUrl` (facade or a service). */
export async function sendJson(
  baseUrl: string,
  method: string,
  path: string,
  options: { readonly token?: string; readonly body?: unknown } = {},
): Promise<JsonAnswer> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(baseUrl + path, {
    method,
    headers,
    ...(options.body !== undefined && { body: JSON.stringify(options.body) }),
    signal: AbortSignal.timeout(10_000),
  });
  const body = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    json = undefined;
  }
  return {
    status: response.status,
    rule: response.headers.get('x-strangler-route'),
    upstream: response.headers.get('x-strangler-upstream'),
    body,
    json,
  };
}

/** People of the example data the write steps act as, with their tokens. */
export interface ExampleActors {
  /** A member with at least one follower: writes cards. */
  readonly authorToken: string;
  /** Follows the author: reads the legacy home feed. */
  readonly followerToken: string;
  /** An admin: moderates in the legacy admin module. */
  readonly adminToken: string;
}

export function exampleActors(target: WalkthroughTarget): Promise<ExampleActors> {
  return withLegacyDb(target, async (client) => {
    const { rows } = await client.query<{ author: string; follower: string }>(
      `SELECT f.followee_id AS author, f.follower_id AS follower
         FROM follows f
         JOIN users a ON a.id = f.followee_id AND a.role = 'member' AND a.banned_at IS NULL
         JOIN users r ON r.id = f.follower_id AND r.banned_at IS NULL
        ORDER BY a.handle, r.handle LIMIT 1`,
    );
    const admins = await client.query<{ id: string }>(
      `SELECT id FROM users WHERE role = 'admin' AND banned_at IS NULL ORDER BY handle LIMIT 1`,
    );
    const pair = rows[0];
    const admin = admins.rows[0];
    if (!pair || !admin) throw new Error('the example data has no followed member or no admin');
    const token = (userId: string) => mintAuthToken(userId, target.authTokenSecret);
    return {
      authorToken: token(pair.author),
      followerToken: token(pair.follower),
      adminToken: token(admin.id),
    };
  });
}

export interface WrittenCard {
  readonly id: string;
  /** Who answered, by the facade's X-Strangler-Upstream. */
  readonly upstream: string | null;
}

/**
 * POST /cards through the facade as the example author; on a refusal, says so in `failures`
 * and returns undefined.
 */
export async function writeCardThroughFacade(
  target: WalkthroughTarget,
  actors: ExampleActors,
  card: { readonly title: string; readonly body: string },
  failures: string[],
): Promise<WrittenCard | undefined> {
  const answer = await sendJson(target.facadeUrl, 'POST', '/cards', {
    token: actors.authorToken,
    body: { ...card, tags: ['walkthrough'] },
  });
  const id = (answer.json as { id?: unknown } | undefined)?.id;
  if (answer.status !== 201 || typeof id !== 'string') {
    failures.push(`POST /cards through the facade answered ${answer.status}: ${answer.body}`);
    return undefined;
  }
  return { id, upstream: answer.upstream };
}

/** What contracts/search/example.vars.yaml asks for, picked in the legacy database as it says. */
export function searchSuiteVars(target: WalkthroughTarget): Promise<Record<string, string>> {
  return withLegacyDb(target, async (client) => {
    const { rows } = await client.query<{ title: string }>(
      `SELECT title FROM cards WHERE status = 'hidden' ORDER BY id LIMIT 1`,
    );
    if (!rows[0]) throw new Error('the example data has no hidden card');
    return { hiddenCardTitle: rows[0].title };
  });
}
