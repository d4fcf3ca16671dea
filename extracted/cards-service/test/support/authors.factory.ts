import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { signAuthToken } from '../../src/auth/auth-token.js';
import { TEST_SECRET } from './cards-test-env.js';

export interface TestAuthor {
  id: string;
  handle: string;
  displayName: string;
  /** `Bearer <token>` for the Authorization header. */
  bearer: string;
}

let sequence = 0;

/** Inserts an author (the service's copy of a legacy user) and returns it with its token. */
export async function insertAuthor(
  db: pg.Pool,
  overrides: { banned?: boolean; handle?: string; displayName?: string } = {},
): Promise<TestAuthor> {
  sequence += 1;
  const id = randomUUID();
  const handle = overrides.handle ?? `author${sequence}`;
  const displayName = overrides.displayName ?? `Author ${sequence}`;
  await db.query(
    'INSERT INTO authors (id, handle, display_name, banned_at) VALUES ($1, $2, $3, $4)',
    [id, handle, displayName, overrides.banned ? new Date() : null],
  );
  return { id, handle, displayName, bearer: `Bearer ${signAuthToken(id, TEST_SECRET)}` };
}
