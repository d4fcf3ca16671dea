/**
 * One comparison as a readable field-level diff, for the contract runner's failure output and
 * the admin plane:
 *
 * ```
 * - status: 200 → 500
 * - $.title: "old" → "new"
 * - $.items[3]: {"id":3} → (absent)  [missing]
 * - $.items: [1,2] → [2,1]  [order] same elements in a different order
 * noise (the primaries disagree here too):
 * ~ $.generatedAt: "…:00Z" → "…:05Z"
 * ```
 */
import { ComparisonResult } from './compile-comparison.js';
import { Difference } from './difference.js';

export interface RenderDifferencesOptions {
  /** ANSI colours: primary red, candidate green (default false). */
  readonly color?: boolean;
  /** Also list noise differences (default true). */
  readonly noise?: boolean;
}

const RED = '\u001b[31m';
const GREEN = '\u001b[32m';
const DIM = '\u001b[2m';
const RESET = '\u001b[0m';
const ABSENT_TEXT = '(absent)';

export function renderDifferences(
  result: ComparisonResult,
  options: RenderDifferencesOptions = {},
): string {
  const color = options.color ?? false;
  const paint = (code: string, text: string): string => (color ? code + text + RESET : text);
  const line = (marker: string, difference: Difference): string => {
    const primary = paint(RED, difference.primary ?? ABSENT_TEXT);
    const candidate = paint(GREEN, difference.candidate ?? ABSENT_TEXT);
    let text = `${marker} ${difference.concretePath}: ${primary} → ${candidate}`;
    if (
      difference.kind !== 'value' &&
      difference.kind !== 'status' &&
      difference.kind !== 'header'
    ) {
      text += `  [${difference.kind}]`;
    }
    if (difference.detail !== undefined) text += ` ${paint(DIM, difference.detail)}`;
    return text;
  };
  const out: string[] = result.differences.map((difference) => line('-', difference));
  if (result.omittedDifferences > 0)
    out.push(`… and ${result.omittedDifferences} more differences`);
  if ((options.noise ?? true) && result.noise.length > 0) {
    out.push('noise (the primaries disagree here too):');
    out.push(...result.noise.map((difference) => line('~', difference)));
    if (result.omittedNoise > 0) out.push(`… and ${result.omittedNoise} more noise differences`);
  }
  if (out.length === 0) return 'no differences\n';
  return out.join('\n') + '\n';
}
