import { z } from 'zod';

/** The default HMAC secret of the bundled example; production sets AUTH_TOKEN_SECRET. */
export const DEFAULT_AUTH_TOKEN_SECRET = 'strangler-example-secret';

const environmentSchema = z.object({
  DATABASE_URL: z
    .string({ error: 'is required' })
    .trim()
    .min(1, { error: 'is required' })
    .refine((value) => /^postgres(ql)?:\/\//.test(value), {
      error: 'must be a postgres:// or postgresql:// URL',
    }),
  PORT: z.coerce
    .number({ error: 'must be a number' })
    .int({ error: 'must be an integer' })
    .min(1, { error: 'must be between 1 and 65535' })
    .max(65535, { error: 'must be between 1 and 65535' })
    .default(3001),
  AUTH_TOKEN_SECRET: z
    .string()
    .min(8, { error: 'must be at least 8 characters' })
    .default(DEFAULT_AUTH_TOKEN_SECRET),
  CARDS_EVENTS_TCP_URL: z
    .string()
    .transform((value, ctx) => {
      const url = URL.canParse(value) ? new URL(value) : undefined;
      const port = Number(url?.port);
      if (!url || url.protocol !== 'tcp:' || !url.hostname || !Number.isInteger(port) || port < 1) {
        ctx.addIssue({ code: 'custom', message: 'must look like tcp://host:port' });
        return z.NEVER;
      }
      return { host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port };
    })
    .optional(),
});

/** The monolith's settings, read once from the environment at start-up. */
export interface LegacyConfig {
  /** PostgreSQL URL of the one legacy database. */
  databaseUrl: string;
  /** HTTP port `main.ts` listens on. */
  port: number;
  /** Secret of the stateless HMAC bearer tokens (shared with every extracted service). */
  authTokenSecret: string;
  /** Where to listen for cards-service's events (Nest TCP transport); absent: not listening. */
  cardEvents?: { host: string; port: number };
}

/** Thrown when the environment is unusable; the message names every bad variable. */
export class InvalidEnvironmentError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid environment for legacy-monolith:\n  - ${problems.join('\n  - ')}`);
    this.name = 'InvalidEnvironmentError';
  }
}

/**
 * Validates the environment into a typed config. Empty strings count as unset, so
 * `PORT=` falls back to the default instead of failing on a number parse.
 */
export function loadLegacyConfig(env: NodeJS.ProcessEnv = process.env): LegacyConfig {
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = environmentSchema.safeParse(present);
  if (!parsed.success) {
    throw new InvalidEnvironmentError(
      parsed.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`),
    );
  }
  return {
    databaseUrl: parsed.data.DATABASE_URL,
    port: parsed.data.PORT,
    authTokenSecret: parsed.data.AUTH_TOKEN_SECRET,
    ...(parsed.data.CARDS_EVENTS_TCP_URL && { cardEvents: parsed.data.CARDS_EVENTS_TCP_URL }),
  };
}
