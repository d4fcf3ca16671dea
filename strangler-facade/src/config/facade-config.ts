/**
 * The facade's process settings, read from the environment ONCE at start-up and validated, so a
 * bad variable stops the process with a message naming it. (Routing itself lives in routes.yaml;
 * per-upstream URL overrides `STRANGLER_UPSTREAM_<NAME>_URL` are applied when rules compile.)
 */
import { z } from 'zod';

const port = z.coerce.number().int().min(0).max(65_535);
const milliseconds = z.coerce.number().int().min(1).max(600_000);
const onOff = z
  .enum(['on', 'off', 'true', 'false', '1', '0'])
  .transform((value) => value === 'on' || value === 'true' || value === '1');

export const facadeEnvSchema = z.object({
  STRANGLER_HOST: z.string().min(1).default('127.0.0.1'),
  STRANGLER_PORT: port.default(8080),
  STRANGLER_ADMIN_PORT: port.default(8081),
  STRANGLER_ROUTES_FILE: z.string().min(1).default('./routes.yaml'),
  /** `off` removes X-Strangler-Route / X-Strangler-Upstream whatever routes.yaml says. */
  STRANGLER_ROUTE_HEADERS: onOff.default(true),
  STRANGLER_CONNECT_TIMEOUT_MS: milliseconds.default(2_000),
  STRANGLER_HEADERS_TIMEOUT_MS: milliseconds.default(30_000),
  STRANGLER_BODY_TIMEOUT_MS: z.coerce.number().int().min(0).max(3_600_000).default(60_000),
  STRANGLER_RELOAD_DEBOUNCE_MS: z.coerce.number().int().min(0).max(10_000).default(100),
  STRANGLER_RELOAD_POLL_MS: z.coerce.number().int().min(0).max(60_000).default(500),
  /** Rules content must read the same twice this far apart before it is loaded. */
  STRANGLER_RELOAD_SETTLE_MS: z.coerce.number().int().min(0).max(60_000).default(300),
  /** Admin bearer token for reads and changes; with neither token the admin plane is locked. */
  STRANGLER_ADMIN_TOKEN: z.string().min(16, 'use at least 16 characters').optional(),
  /** Admin bearer token for reads only (a metrics scraper, a dashboard). */
  STRANGLER_ADMIN_READ_TOKEN: z.string().min(16, 'use at least 16 characters').optional(),
  /** `off` drops the per-request access log line. */
  STRANGLER_ACCESS_LOG: onOff.default(true),
  STRANGLER_LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .default('info'),
});

export interface FacadeConfig {
  readonly host: string;
  readonly port: number;
  readonly adminPort: number;
  readonly routesFile: string;
  readonly routeHeaders: boolean;
  readonly connectTimeoutMs: number;
  readonly headersTimeoutMs: number;
  readonly bodyTimeoutMs: number;
  readonly reloadDebounceMs: number;
  readonly reloadPollMs: number;
  readonly reloadSettleMs: number;
  readonly logLevel: string;
  readonly adminToken?: string;
  readonly adminReadToken?: string;
  readonly accessLog: boolean;
}

export class FacadeConfigError extends Error {
  override name = 'FacadeConfigError';
}

export function facadeConfigFromEnv(
  env: Readonly<Record<string, string | undefined>>,
): FacadeConfig {
  // Empty variables count as unset, as shells and compose files often leave them.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const parsed = facadeEnvSchema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map(
      (issue) =>
        `${issue.path.join('.')}=${JSON.stringify(env[String(issue.path[0])])}: ${issue.message}`,
    );
    throw new FacadeConfigError(`invalid environment:\n  ${lines.join('\n  ')}`);
  }
  const vars = parsed.data;
  return Object.freeze({
    host: vars.STRANGLER_HOST,
    port: vars.STRANGLER_PORT,
    adminPort: vars.STRANGLER_ADMIN_PORT,
    routesFile: vars.STRANGLER_ROUTES_FILE,
    routeHeaders: vars.STRANGLER_ROUTE_HEADERS,
    connectTimeoutMs: vars.STRANGLER_CONNECT_TIMEOUT_MS,
    headersTimeoutMs: vars.STRANGLER_HEADERS_TIMEOUT_MS,
    bodyTimeoutMs: vars.STRANGLER_BODY_TIMEOUT_MS,
    reloadDebounceMs: vars.STRANGLER_RELOAD_DEBOUNCE_MS,
    reloadPollMs: vars.STRANGLER_RELOAD_POLL_MS,
    reloadSettleMs: vars.STRANGLER_RELOAD_SETTLE_MS,
    logLevel: vars.STRANGLER_LOG_LEVEL,
    ...(vars.STRANGLER_ADMIN_TOKEN !== undefined && { adminToken: vars.STRANGLER_ADMIN_TOKEN }),
    ...(vars.STRANGLER_ADMIN_READ_TOKEN !== undefined && {
      adminReadToken: vars.STRANGLER_ADMIN_READ_TOKEN,
    }),
    accessLog: vars.STRANGLER_ACCESS_LOG,
  });
}
