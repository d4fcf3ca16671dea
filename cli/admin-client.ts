/**
 * Reads from the facade's admin plane (`GET` JSON). The URL comes from `--admin`, else
 * `STRANGLER_ADMIN_URL`, else `http://127.0.0.1:<STRANGLER_ADMIN_PORT or 8081>`. Every read but
 * `/health` needs the bearer token: `STRANGLER_ADMIN_TOKEN` (or a read-only token in it), else
 * the one `npm start` keeps in `.strangler/admin-token` beside the rules file.
 */
import { localAdminToken } from '../strangler-facade/src/admin/admin-token-file.js';
import { CliError, type CliIo } from './cli-io.js';

export interface AdminClient {
  readonly baseUrl: string;
  get<T = unknown>(pathAndQuery: string): Promise<T>;
}

const TIMEOUT_MS = 5_000;

export function adminUrl(option: string | undefined, env: CliIo['env']): string {
  const url =
    option || env.STRANGLER_ADMIN_URL || `http://127.0.0.1:${env.STRANGLER_ADMIN_PORT || '8081'}`;
  return url.replace(/\/+$/, '');
}

export function adminClient(
  option: string | undefined,
  env: CliIo['env'],
  cwd: string = process.cwd(),
): AdminClient {
  const baseUrl = adminUrl(option, env);
  const token = localAdminToken(env, cwd);
  return {
    baseUrl,
    async get<T>(pathAndQuery: string): Promise<T> {
      const url = baseUrl + pathAndQuery;
      let response: Response;
      try {
        response = await fetch(url, {
          headers: {
            accept: 'application/json',
            ...(token ? { authorization: `Bearer ${token}` } : {}),
          },
          signal: AbortSignal.timeout(TIMEOUT_MS),
        });
      } catch (error) {
        const cause =
          (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
        throw new CliError([
          `cannot reach the facade admin plane at ${baseUrl} (${cause}); is the facade running? ` +
            '(--admin URL or STRANGLER_ADMIN_URL)',
        ]);
      }
      const body = await response.text();
      if (response.status === 401 || response.status === 403) {
        throw new CliError([
          `GET ${url}: ${response.status} ${response.statusText} ${body.trim()}`,
          token === undefined
            ? 'no admin token found: set STRANGLER_ADMIN_TOKEN, or run from the folder of the ' +
              'routes.yaml that `npm start` serves (it keeps the token in .strangler/admin-token)'
            : 'the admin token was refused: check STRANGLER_ADMIN_TOKEN or .strangler/admin-token',
        ]);
      }
      if (!response.ok) {
        throw new CliError([
          `GET ${url}: ${response.status} ${response.statusText} ${body.trim()}`,
        ]);
      }
      try {
        return JSON.parse(body) as T;
      } catch {
        throw new CliError([`GET ${url}: the answer is not JSON`]);
      }
    },
  };
}
