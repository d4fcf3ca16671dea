import { z } from 'zod';

/** Where the service publishes its card events. */
export type CardsEventsTransport =
  { kind: 'tcp'; host: string; port: number } | { kind: 'nats'; servers: string[] };

/** The validated configuration of cards-service, built once at start-up. */
export interface CardsServiceConfig {
  databaseUrl: string;
  port: number;
  authTokenSecret: string;
  events: CardsEventsTransport;
}

const emptyToUndefined = (value: unknown) => (value === '' ? undefined : value);

const databaseUrl = z
  .string({ error: 'is required' })
  .refine((value) => /^postgres(ql)?:\/\//.test(value) && URL.canParse(value), {
    error: 'must be a postgres:// URL',
  });

const tcpUrl = z.string().transform((value, ctx) => {
  const url = URL.canParse(value) ? new URL(value) : undefined;
  const port = Number(url?.port);
  if (!url || url.protocol !== 'tcp:' || !url.hostname || !Number.isInteger(port) || port < 1) {
    ctx.addIssue({ code: 'custom', message: 'must look like tcp://host:port' });
    return z.NEVER;
  }
  return { host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port };
});

const environmentSchema = z.object({
  DATABASE_URL: z.preprocess(emptyToUndefined, databaseUrl),
  PORT: z.preprocess(emptyToUndefined, z.coerce.number().int().min(0).max(65535).default(3002)),
  AUTH_TOKEN_SECRET: z.preprocess(emptyToUndefined, z.string().default('strangler-example-secret')),
  CARDS_EVENTS_TCP_URL: z.preprocess(
    emptyToUndefined,
    tcpUrl.default({ host: '127.0.0.1', port: 3012 }),
  ),
  NATS_URL: z.preprocess(emptyToUndefined, z.string().optional()),
});

/**
 * Validates the environment once; a bad or missing variable throws an error naming it, so the
 * service fails at start-up instead of on the first request.
 */
export function loadCardsServiceConfig(
  env: Record<string, string | undefined> = process.env,
): CardsServiceConfig {
  const parsed = environmentSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`);
    throw new Error(`Invalid cards-service configuration: ${problems.join('; ')}`);
  }
  const vars = parsed.data;
  const events: CardsEventsTransport = vars.NATS_URL
    ? { kind: 'nats', servers: vars.NATS_URL.split(',').map((server) => server.trim()) }
    : { kind: 'tcp', ...vars.CARDS_EVENTS_TCP_URL };
  return {
    databaseUrl: vars.DATABASE_URL,
    port: vars.PORT,
    authTokenSecret: vars.AUTH_TOKEN_SECRET,
    events,
  };
}
