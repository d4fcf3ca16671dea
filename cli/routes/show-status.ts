/**
 * `strangler routes status`: the running facade's rules version, last refused reload, upstreams
 * with their circuit state, shadow traffic counters, and staged rollouts (admin `/status` and
 * `/rollouts`).
 */
import { adminClient } from '../admin-client.js';
import { CliError, EXIT_FAILED, EXIT_OK, type CliIo } from '../cli-io.js';
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
  readonly lastReloadError?: { errors?: string[]; hash?: string | null; at?: string } | null;
  readonly upstreams?: readonly {
    name?: string;
    url?: string;
    source?: string;
    /** Set when the environment overrides the file's URL. */
    fileUrl?: string;
  }[];
  readonly circuits?: Readonly<Record<string, string>>;
  readonly shadow?: { pending?: number; completed?: number; dropped?: number } | null;
  readonly adminMutations?: boolean;
}

/** One entry of `GET /rollouts` (the facade's `RolloutStatus`). */
interface RolloutView {
  readonly rule?: string;
  readonly canaryUpstream?: string;
  readonly percent?: number;
  readonly steps?: readonly number[];
  readonly state?: string;
  readonly since?: string;
  readonly requests?: number;
  readonly errors?: number;
  readonly errorRate?: number;
  readonly p99LatencyMs?: number | null;
  readonly shadowCompared?: number;
  readonly shadowMismatched?: number;
  readonly lastDecision?: {
    at?: string;
    decision?: string;
    from?: number;
    to?: number;
    reason?: string;
  } | null;
}

/**
 * Exit code: 0 when the facade serves the file as it is, EXIT_FAILED while a change to the file
 * is refused (the facade still serves an older version) or the facade cannot be asked.
 */
export async function showStatus(options: StatusOptions, io: CliIo): Promise<number> {
  const client = adminClient(options.admin, io.env);
  const status = await client.get<AdminStatus>('/status');
  let rollouts: unknown;
  let rolloutsError: string | null = null;
  try {
    rollouts = await client.get<unknown>('/rollouts');
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    rolloutsError = error.message;
  }
  const exitCode = status.lastReloadError ? EXIT_FAILED : EXIT_OK;
  if (options.json) {
    io.out(JSON.stringify({ status, rollouts: rollouts ?? null }, null, 2) + '\n');
    return exitCode;
  }
  const out: string[] = [];
  out.push(`facade   ${client.baseUrl}`);
  out.push(
    `rules    ${status.file ?? '?'} version ${status.version ?? '?'} (${status.hash ?? '?'}), ` +
      `loaded ${status.loadedAt ?? '?'}`,
  );
  const refused = status.lastReloadError;
  if (refused) {
    out.push(
      `refused  a change at ${refused.at ?? '?'} (${refused.hash ?? 'unreadable'}); ` +
        'still serving the version above:',
    );
    for (const message of refused.errors ?? []) out.push(`  ${message}`);
  }
  if (status.shadow) {
    const { pending = 0, completed = 0, dropped = 0 } = status.shadow;
    out.push(`shadow   ${completed} compared, ${pending} pending, ${dropped} dropped`);
  }
  if (status.adminMutations !== undefined) {
    out.push(
      `admin    ${status.adminMutations ? 'edits enabled' : 'edits disabled (STRANGLER_ADMIN_TOKEN unset)'}`,
    );
  }
  io.out(out.join('\n') + '\n');

  const upstreams = status.upstreams ?? [];
  if (upstreams.length > 0) {
    io.out('\nupstreams\n');
    const circuits = status.circuits ?? {};
    io.out(
      textTable(
        [
          ['name', 'url', 'from', 'circuit'],
          ...upstreams.map((upstream) => [
            upstream.name ?? '?',
            upstream.url ?? '?',
            overridden(upstream)
              ? `${upstream.source ?? '?'} (overrides the file's ${upstream.fileUrl ?? '?'})`
              : (upstream.source ?? '?'),
            circuits[upstream.name ?? ''] ?? 'closed',
          ]),
        ],
        '  ',
      ),
    );
  }
  io.out('\nrollouts\n');
  io.out(rolloutsError === null ? renderRollouts(rollouts) : `  not available: ${rolloutsError}\n`);
  return exitCode;
}

/** The environment overrides a URL the file gives differently: an edit of it changes nothing. */
function overridden(upstream: { url?: string; fileUrl?: string }): boolean {
  if (upstream.fileUrl === undefined || upstream.url === undefined) return false;
  try {
    return new URL(upstream.fileUrl).origin !== new URL(upstream.url).origin;
  } catch {
    return true;
  }
}

export function renderRollouts(answer: unknown): string {
  const list: unknown[] = Array.isArray(answer)
    ? answer
    : isRecord(answer) && Array.isArray(answer.rollouts)
      ? answer.rollouts
      : [];
  if (list.length === 0) return '  none\n';
  const header = [
    'rule',
    'canary',
    'percent',
    'steps',
    'state',
    'since',
    'requests',
    'errors',
    'p99',
    'shadow diffs',
    'last decision',
  ];
  const rows = list.filter(isRecord).map((entry) => {
    const rollout = entry as RolloutView;
    const decision = rollout.lastDecision;
    return [
      rollout.rule ?? '?',
      rollout.canaryUpstream ?? '?',
      `${rollout.percent ?? '?'}%`,
      (rollout.steps ?? []).join(','),
      rollout.state ?? '?',
      rollout.since ?? '?',
      String(rollout.requests ?? 0),
      `${rollout.errors ?? 0} (${((rollout.errorRate ?? 0) * 100).toFixed(1)}%)`,
      rollout.p99LatencyMs === null || rollout.p99LatencyMs === undefined
        ? '-'
        : `${rollout.p99LatencyMs} ms`,
      `${rollout.shadowMismatched ?? 0}/${rollout.shadowCompared ?? 0}`,
      decision
        ? `${decision.decision ?? '?'} ${decision.from ?? '?'}→${decision.to ?? '?'}%: ${decision.reason ?? ''}`
        : '-',
    ];
  });
  return textTable([header, ...rows], '  ');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
