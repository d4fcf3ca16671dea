/**
 * Small YAML renderings used when splicing an edit into the user's text: a scalar in the style
 * the user wrote the old one in, and a new `key: value` block indented to its siblings.
 */
import { stringify, type Scalar } from 'yaml';

export type EditValue = string | number | boolean | { readonly [key: string]: EditValue };

/** `value` as YAML scalar text, keeping single or double quotes if the old scalar had them. */
export function renderScalar(value: string | number | boolean, oldType?: Scalar['type']): string {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`not a finite number: ${value}`);
    return String(value);
  }
  if (typeof value === 'boolean') return String(value);
  if (oldType === 'QUOTE_SINGLE') return `'${value.replace(/'/g, "''")}'`;
  if (oldType === 'QUOTE_DOUBLE') return JSON.stringify(value);
  return stringify(value, { lineWidth: 0 }).replace(/\n$/, '');
}

/** `key: value` as block YAML lines, each indented by `column` spaces, ending with `eol`. */
export function renderBlockEntry(
  key: string,
  value: EditValue,
  column: number,
  indentStep: number,
  eol: string,
): string {
  const lines = stringify({ [key]: value }, { indent: indentStep, lineWidth: 0 })
    .replace(/\n$/, '')
    .split('\n');
  const pad = ' '.repeat(column);
  return lines.map((line) => pad + line + eol).join('');
}
