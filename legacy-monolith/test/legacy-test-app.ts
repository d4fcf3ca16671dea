import type { INestApplication } from '@nestjs/common';
import pg from 'pg';
import request from 'supertest';
import type { PostgresCluster } from '../../stack/postgres-cluster.js';
import { createTestDatabase, startTestPostgres } from '../../test-support/database.js';
import { signAuthToken } from '../src/auth/auth-token.js';
import { createLegacyApp } from '../src/app.factory.js';
import { DEFAULT_AUTH_TOKEN_SECRET } from '../src/config/legacy-config.js';
import { runLegacyMigrations } from '../src/database/run-migrations.js';

/** Hooks and tests start PostgreSQL and Nest: allow for a loaded CI machine. */
export const E2E_TIMEOUT = 60_000;

/** One suite's world: a real PostgreSQL, a migrated database, the production app on it. */
export interface LegacyTestContext {
  cluster: PostgresCluster;
  databaseUrl: string;
  app: INestApplication;
  db: pg.Pool;
  http: () => ReturnType<typeof request>;
  stop: () => Promise<void>;
}

export async function startLegacyTestApp(label: string): Promise<LegacyTestContext> {
  const cluster = await startTestPostgres(label);
  const databaseUrl = await createTestDatabase(cluster, label.replace(/\W/g, '_'));
  await runLegacyMigrations(databaseUrl);
  const app = await createLegacyApp(
    { databaseUrl, port: 0, authTokenSecret: DEFAULT_AUTH_TOKEN_SECRET },
    { logger: false },
  );
  const db = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  db.on('error', () => undefined); // idle clients see the server stop in afterAll
  return {
    cluster,
    databaseUrl,
    app,
    db,
    http: () => request(app.getHttpServer()),
    stop: async () => {
      await app.close();
      await db.end();
      await cluster.stop();
    },
  };
}

export function bearer(userId: string): string {
  return `Bearer ${signAuthToken(userId, DEFAULT_AUTH_TOKEN_SECRET)}`;
}

let userCounter = 0;

/** Creates a card through the API as `authorId` and returns its CardView. */
export async function createCard(
  context: LegacyTestContext,
  authorId: string,
  body: { title: string; body: string; tags?: string[] },
): Promise<{ id: string; [key: string]: unknown }> {
  const response = await context
    .http()
    .post('/cards')
    .set('Authorization', bearer(authorId))
    .send(body)
    .expect(201);
  return response.body;
}

/** Inserts a user straight into the table (there is no sign-up endpoint in the monolith). */
export async function insertUser(
  db: pg.Pool,
  fields: { handle?: string; role?: 'member' | 'admin'; bannedAt?: Date } = {},
): Promise<{ id: string; handle: string; displayName: string }> {
  userCounter += 1;
  const handle = fields.handle ?? `user${userCounter}_${Math.random().toString(36).slice(2, 8)}`;
  const displayName = `User ${handle}`;
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO users (handle, display_name, email, role, banned_at)
     VALUES ($1, $2, $3, $4, $5) RETURNING id`,
    [
      handle,
      displayName,
      `${handle}@example.test`,
      fields.role ?? 'member',
      fields.bannedAt ?? null,
    ],
  );
  return { id: rows[0].id, handle, displayName };
}
