/**
 * A DiffSummary as a readable text table: one line per route ("N failing of M compared"), and
 * under it the fields that differ, with the kinds of difference and how often each is noise.
 *
 * ```
 * route                       compared  failing  learned
 * cards-read GET /cards/:id        120        3       40
 *
 * cards-read GET /cards/:id: 3 failing of 120 compared
 *   field                 kinds     failing  noise  noise ratio
 *   $.items[*].likeCount  value ×3        3      0           0%
 *   $.generatedAt                         0     38          95%  noisy
 * ```
 */
import { DiffSummary, DiffSummarySnapshot, RouteSummary } from './diff-summary.js';
import { DIFFERENCE_KINDS } from './difference.js';

export interface RenderSummaryOptions {
  /** Fields listed per route (default 20; the rest are counted). */
  readonly maxFields?: number;
  /** A field is flagged "noisy" from this noise ratio on (default 0.5). */
  readonly noisyRatio?: number;
}

export function renderSummaryTable(
  summary: DiffSummary | DiffSummarySnapshot,
  options: RenderSummaryOptions = {},
): string {
  const routes = summary instanceof DiffSummary ? summary.routes() : summary.routes;
  if (routes.length === 0) return 'no comparisons recorded\n';
  const maxFields = options.maxFields ?? 20;
  const noisyRatio = options.noisyRatio ?? 0.5;
  const out: string[] = [];
  const header = ['route', 'compared', 'failing', 'learned'];
  out.push(...table([header, ...routes.map(routeRow)], '', 'lrrr'));
  for (const route of routes) {
    if (route.fields.length === 0) continue;
    out.push('', `${route.key}: ${route.failing} failing of ${route.compared} compared`);
    const rows = route.fields.slice(0, maxFields).map((field) => [
      field.path,
      DIFFERENCE_KINDS.filter((kind) => field.kinds[kind])
        .map((kind) => `${kind} ×${field.kinds[kind]}`)
        .join(', '),
      String(field.failing),
      String(field.noise),
      `${Math.round(field.noiseRatio * 100)}%`,
      field.noiseRatio >= noisyRatio && route.learned > 0 ? 'noisy' : '',
    ]);
    const header = ['field', 'kinds', 'failing', 'noise', 'noise ratio', ''];
    out.push(...table([header, ...rows], '  ', 'llrrrl'));
    const hidden = route.fields.length - rows.length;
    if (hidden > 0) out.push(`  … ${hidden} more fields`);
    if (route.omittedFields > 0) {
      out.push(`  (${route.omittedFields} observations of further fields not tracked)`);
    }
  }
  return out.join('\n') + '\n';
}

function routeRow(route: RouteSummary): string[] {
  return [route.key, String(route.compared), String(route.failing), String(route.learned)];
}

/** Aligns columns; `align` has one letter per column: l(eft) or r(ight). */
function table(rows: readonly (readonly string[])[], indent: string, align: string): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, index) => {
      widths[index] = Math.max(widths[index] ?? 0, cell.length);
    });
  }
  return rows.map(
    (row) =>
      indent +
      row
        .map((cell, index) =>
          align[index] === 'r'
            ? cell.padStart(widths[index] ?? 0)
            : cell.padEnd(widths[index] ?? 0),
        )
        .join('  ')
        .trimEnd(),
  );
}
