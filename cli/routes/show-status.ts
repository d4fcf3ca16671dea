/**
 * `strangler routes status`: the running facade's rules version, last refused reload, upstreams,
 * and staged rollouts (admin `/status` and `/rollouts`).
 */
import { adminClient } from '../admin-client.js';
import { CliError, type CliIo } from '../cli-io.js';
import { textTable } from '../text-table.js';

export interface StatusOptions {
  readonly admin?: string;
  readonly json?: boolean;
}

interface AdminStatus {
  readonly file?: string;
  readonly version?: number;
  readonly hash?: string;
  readonly loadedAt?: string;
  readonly lastReloadError?: { errors?: string[]; hash?: string; at?: string } | null;
  readonly upstreams?: readonly Record<string, unknown>[];
}

export async function showStatus(options: StatusOptions, io: CliIo): Promise<void> {
  const client = adminClient(options.admin, io.env);
  const status = await client.get<AdminStatus>('/status');
  let rollouts: unknown = null;
  try {
    rollouts = await client.get<unknown>('/rollouts');
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    rollouts = { unavailable: error.message };
  }
  if (options.json) {
    io.out(JSON.stringify({ status, rollouts }, null, 2) + '\n');
    return;
  }
  io.out(`facade   ${client.baseUrl}\n`);
  io.out(
    `rules    ${status.file ?? '?'} version ${status.version ?? '?'} (${status.hash ?? '?'}), loaded ${status.loadedAt ?? '?'}\n`,
  );
  const error = status.lastReloadError;
  if (error) {
    io.out(
      `refused  a change at ${error.at ?? '?'} (${error.hash ?? '?'}); still serving the version above:\n`,
    );
    for (const message of error.errors ?? []) io.out(`  ${message}\n`);
  }
  const upstreams = status.upstreams ?? [];
  if (upstreams.length > 0) {
    io.out('\nupstreams\n');
    io.out(textTable(upstreams.map(cellsOf), '  '));
  }
  io.out('\nrollouts\n');
  io.out(renderRollouts(rollouts));
}

function renderRollouts(rollouts: unknown): string {
  if (isRecord(rollouts) && typeof rollouts.unavailable === 'string') {
    return `  not available: ${rollouts.unavailable}\n`;
  }
  const list: unknown[] = Array.isArray(rollouts)
    ? rollouts
    : isRecord(rollouts) && Array.isArray(rollouts.rollouts)
      ? rollouts.rollouts
      : isRecord(rollouts)
        ? Object.entries(rollouts).map(([rule, value]) =>
            isRecord(value) ? { rule, ...value } : { rule, value },
          )
        : [];
  if (list.length === 0) return '  none\n';
  return textTable(
    list.map((entry) => (isRecord(entry) ? cellsOf(entry) : [String(entry)])),
    '  ',
  );
}

/** `{name: 'a', url: 'x', n: 1}` → `['a', 'url=x', 'n=1']`: the first value bare, then key=value. */
function cellsOf(entry: Record<string, unknown>): string[] {
  return Object.entries(entry).map(([key, value], index) => {
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    return index === 0 ? text : `${key}=${text}`;
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
