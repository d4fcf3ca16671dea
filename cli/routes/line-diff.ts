/**
 * A small line diff for "what did this edit change" output:
 *
 * ```
 * routes.yaml:30
 * -    upstream: legacy # ← flip to cards-service
 * +    upstream: cards-service # ← flip to cards-service
 * ```
 *
 * Longest common subsequence over lines after trimming the common head and tail, so the quadratic
 * part only sees the changed middle (an edit touches a few lines of a small file).
 */
export interface DiffHunk {
  /** 1-based line in the old text where the hunk starts. */
  readonly oldLine: number;
  /** 1-based line in the new text where the hunk starts. */
  readonly newLine: number;
  readonly removed: readonly string[];
  readonly added: readonly string[];
}

export function lineDiff(before: string, after: string): DiffHunk[] {
  const a = splitLines(before);
  const b = splitLines(after);
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head += 1;
  let tail = 0;
  while (
    tail < a.length - head &&
    tail < b.length - head &&
    a[a.length - 1 - tail] === b[b.length - 1 - tail]
  ) {
    tail += 1;
  }
  const x = a.slice(head, a.length - tail);
  const y = b.slice(head, b.length - tail);
  // lcs[i][j] = LCS length of x[i..] and y[j..]
  const lcs = Array.from({ length: x.length + 1 }, () => new Array<number>(y.length + 1).fill(0));
  for (let i = x.length - 1; i >= 0; i -= 1) {
    for (let j = y.length - 1; j >= 0; j -= 1) {
      lcs[i][j] = x[i] === y[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  const hunks: DiffHunk[] = [];
  let current: { oldLine: number; newLine: number; removed: string[]; added: string[] } | null =
    null;
  const flush = (): void => {
    if (current) hunks.push(current);
    current = null;
  };
  let i = 0;
  let j = 0;
  while (i < x.length || j < y.length) {
    if (i < x.length && j < y.length && x[i] === y[j]) {
      flush();
      i += 1;
      j += 1;
    } else if (j < y.length && (i === x.length || lcs[i][j + 1] >= lcs[i + 1][j])) {
      current ??= { oldLine: head + i + 1, newLine: head + j + 1, removed: [], added: [] };
      current.added.push(y[j]);
      j += 1;
    } else {
      current ??= { oldLine: head + i + 1, newLine: head + j + 1, removed: [], added: [] };
      current.removed.push(x[i]);
      i += 1;
    }
  }
  flush();
  return hunks;
}

export function renderLineDiff(
  hunks: readonly DiffHunk[],
  sourceName: string,
  color = false,
): string {
  const paint = (code: string, text: string): string =>
    color ? `\u001b[${code}m${text}\u001b[0m` : text;
  const out: string[] = [];
  for (const hunk of hunks) {
    // Where to look: the old line of a change or removal, the new line of a pure addition.
    const line = hunk.removed.length > 0 ? hunk.oldLine : hunk.newLine;
    out.push(paint('2', `${sourceName}:${line}`));
    for (const line of hunk.removed) out.push(paint('31', `- ${line}`));
    for (const line of hunk.added) out.push(paint('32', `+ ${line}`));
  }
  return out.length > 0 ? out.join('\n') + '\n' : '';
}

function splitLines(text: string): string[] {
  const lines = text.split(/\r?\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}
