/**
 * `strangler routes explain`: which rule and upstream a request would get. The command line
 * becomes the facade's `/explain` query; offline, the facade's own `explainRequest` reads it
 * against the table compiled from the file; with `--admin`, the running facade runs the same
 * function on the same query. One answer shape, one rendering: the two can only differ where
 * the served rules differ.
 */
import { isIP } from 'node:net';

import {
  explainRequest,
  type RouteExplanation,
} from '../../strangler-facade/src/admin/explain-request.js';
import { adminClient } from '../admin-client.js';
import { CliError, EXIT_USAGE, type CliIo } from '../cli-io.js';
import { textTable } from '../text-table.js';
import { loadRoutesTable, routesFileRef } from './routes-file.js';

export interface ExplainOptions {
  readonly method: string;
  readonly path: string;
  readonly header: readonly string[];
  readonly cookie: readonly string[];
  readonly query: readonly string[];
  /** Client address: decides whether internal headers count (`settings.trustedClients`). */
  readonly client?: string;
  readonly file?: string;
  readonly admin?: string;
  readonly json?: boolean;
}

export async function explainRoute(options: ExplainOptions, io: CliIo): Promise<void> {
  const query = explainQueryOf(options);
  let explanation: RouteExplanation;
  let source = '';
  if (options.admin !== undefined) {
    const client = adminClient(options.admin, io.env);
    explanation = await client.get<RouteExplanation>(`/explain?${query.toString()}`);
    source = ` (asked ${client.baseUrl})`;
  } else {
    const { table } = await loadRoutesTable(routesFileRef(options.file, io), io.env);
    explanation = explainRequest(table, query, null);
  }
  if (options.json) return io.out(JSON.stringify(explanation, null, 2) + '\n');
  io.out(renderExplanation(explanation, source));
}

/**
 * The command line as the facade's `/explain` query (`-H` → `header`, `--cookie` → `cookie`,
 * ...), checked: what the admin plane receives and what the offline explain reads.
 */
export function explainQueryOf(options: ExplainOptions): URLSearchParams {
  const query = new URLSearchParams({ method: options.method, path: options.path });
  for (const header of options.header) {
    if (header.indexOf(':') < 1)
      throw new CliError([`-H ${header}: expected name:value`], EXIT_USAGE);
    query.append('header', header);
  }
  for (const cookie of options.cookie) {
    if (cookie.indexOf('=') < 1)
      throw new CliError([`--cookie ${cookie}: expected name=value`], EXIT_USAGE);
    query.append('cookie', cookie);
  }
  for (const pair of options.query) query.append('query', pair);
  if (options.client !== undefined) {
    if (isIP(options.client) === 0) {
      throw new CliError([`--client ${options.client}: expected an IP address`], EXIT_USAGE);
    }
    query.append('client', options.client);
  }
  return query;
}

/** The explanation as the command prints it; `source` follows the head line (`(asked <url>)`). */
export function renderExplanation(explanation: RouteExplanation, source = ''): string {
  const head = `${explanation.method} ${explanation.target}`;
  if (explanation.refused !== null) {
    return `${head}${source}\n  refused   400 before any rule: ${explanation.refused}\n`;
  }
  const rows: string[][] = [];
  if (explanation.path !== explanation.target) rows.push(['path', explanation.path]);
  rows.push([
    'rule',
    explanation.ruleIndex === null
      ? `${explanation.rule ?? '?'} (default: no rule matched)`
      : `${explanation.rule ?? '?'} (rules[${explanation.ruleIndex}]: ${explanation.match ?? ''})`,
  ]);
  const why = explanation.forced
    ? ' (forced by X-Strangler-Upstream)'
    : explanation.upstream !== explanation.primary
      ? ` (canary; primary ${explanation.primary ?? '?'})`
      : '';
  rows.push(['upstream', `${explanation.upstream ?? '?'} ${explanation.upstreamUrl ?? ''}${why}`]);
  const { canary, shadow, fallback } = explanation;
  if (canary) {
    rows.push([
      'canary',
      `${canary.upstream} ${canary.percent}% (by ${canary.stickyBy}): ` +
        (canary.bucket === null
          ? 'not consulted (upstream forced by header)'
          : `key ${JSON.stringify(canary.key)} → bucket ${canary.bucket} of 10000, ` +
            `canary below ${canary.threshold} → ${canary.chosen ? 'canary' : 'primary'}`),
    ]);
  }
  if (shadow) {
    rows.push([
      'shadow',
      `${shadow.upstream} ${shadow.percent}%${shadow.applies ? '' : ' (not for this request)'}`,
    ]);
  }
  if (fallback) rows.push(['fallback', `${fallback.upstream} on ${fallback.on.join(',')}`]);
  if (explanation.circuit !== null) rows.push(['circuit', explanation.circuit]);
  for (const skipped of explanation.skipped) {
    rows.push(['skipped', `${skipped.rule}: ${skipped.unmet.join(', ') || 'conditions not met'}`]);
  }
  for (const note of explanation.notes) rows.push(['note', note]);
  return `${head} → ${explanation.upstream ?? '?'}${source}\n` + textTable(rows, '  ');
}
