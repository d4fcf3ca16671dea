/**
 * Where a local example keeps its admin token: `.strangler/admin-token` beside the rules file
 * (the state folder of that stack), readable by its owner only (mode 0600, folder 0700). `npm
 * start` creates it once with a random token and passes it to the facade; the CLI and the
 * walkthrough read it when `STRANGLER_ADMIN_TOKEN` is not set. A deployment sets the variable
 * instead and has no such file.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** `.strangler/admin-token` in the folder of `routesFile`. */
export function adminTokenFileFor(routesFile: string): string {
  return path.join(path.dirname(path.resolve(routesFile)), '.strangler', 'admin-token');
}

/** The token in `file`, or undefined when there is no such file (or it is empty). */
export function readAdminTokenFile(file: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const token = text.trim();
  return token === '' ? undefined : token;
}

/** The token in `file`, created (random, 256 bits, mode 0600) when the file does not exist. */
export function ensureAdminTokenFile(file: string): string {
  const existing = readAdminTokenFile(file);
  if (existing !== undefined) return existing;
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const token = randomBytes(32).toString('base64url');
  try {
    // 'wx': if another process created it meanwhile, keep theirs (read below)
    writeFileSync(file, `${token}\n`, { mode: 0o600, flag: 'wx' });
    return token;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const theirs = readAdminTokenFile(file);
    if (theirs === undefined) throw new Error(`${file} exists but holds no token`);
    return theirs;
  }
}

/** The admin token a local client sends: `STRANGLER_ADMIN_TOKEN`, else the stack's file. */
export function localAdminToken(
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
): string | undefined {
  const fromEnv = env.STRANGLER_ADMIN_TOKEN;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  const routesFile = path.resolve(cwd, env.STRANGLER_ROUTES_FILE || 'routes.yaml');
  return readAdminTokenFile(adminTokenFileFor(routesFile));
}
