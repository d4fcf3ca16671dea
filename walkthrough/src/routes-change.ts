/**
 * The walkthrough's edits of routes.yaml. Rule-level edits (upstream, canary, shadow) go through
 * the facade's `src/rules-edit/` editor, the same code path as `strangler routes flip|weight|shadow`
 * and the admin API. Edits the editor has no operation for yet (a new rule, a rule's comment, any
 * other key) are made with the same comment-preserving `YamlTextEdit` / a text insertion, and checked
 * with the facade's own loader before anything is written. Every write is atomic and refused when
 * the file changed on disk in between.
 */
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

import { isMap, isSeq } from 'yaml';

import { editRulesFile } from '../../strangler-facade/src/rules-edit/edit-rules-file.js';
import { editRulesText } from '../../strangler-facade/src/rules-edit/edit-rules-text.js';
import { RulesEditRefusedError } from '../../strangler-facade/src/rules-edit/rules-edit-errors.js';
import type { RulesEditor } from '../../strangler-facade/src/rules-edit/rules-editor.js';
import { writeFileAtomic } from '../../strangler-facade/src/rules-edit/write-file-atomic.js';
import { YamlTextEdit } from '../../strangler-facade/src/rules-edit/yaml-text-edit.js';
import type { EditValue } from '../../strangler-facade/src/rules-edit/render-yaml-value.js';
import { contentHash, parseRulesText } from '../../strangler-facade/src/rules/read-rules-file.js';
import { adminAuthorization } from './checks.js';
import type { WalkthroughTarget } from './step.js';

/** A change of the routes text: rule-level editor operations, then an optional text step. */
export interface RoutesEdit {
  readonly editor?: (rules: RulesEditor) => void;
  /** After the editor operations: a further edit of the text (validated before writing). */
  readonly text?: (text: string) => string;
}

/** The text `edit` would produce from `before` (validated; nothing written). */
export function previewRoutesEdit(before: string, sourceName: string, edit: RoutesEdit): string {
  const edited = edit.editor ? editRulesText(before, sourceName, edit.editor).text : before;
  const after = edit.text ? edit.text(edited) : edited;
  if (after !== edited) {
    const checked = parseRulesText(after, sourceName, {});
    if (!checked.ok) throw new RulesEditRefusedError(checked.errors, after);
  }
  return after;
}

/** Applies `edit` to the file; returns the text before and after. */
export async function applyRoutesEdit(
  file: string,
  edit: RoutesEdit,
): Promise<{ before: string; after: string }> {
  const before = await readFile(file, 'utf8');
  let current = before;
  if (edit.editor) current = (await editRulesFile(file, edit.editor)).text;
  if (edit.text) {
    const after = previewRoutesEdit(current, file, { text: edit.text });
    if (after !== current) await writeFileAtomic(file, after, { expected: current });
    current = after;
  }
  return { before, after: current };
}

/** Puts `text` back as the file's content (undo), atomically. */
export async function restoreRoutes(file: string, text: string): Promise<void> {
  const current = await readFile(file, 'utf8');
  if (current !== text) await writeFileAtomic(file, text, { expected: current });
}

interface AdminStatus {
  readonly hash?: string;
  readonly version?: number;
  readonly lastReloadError?: { readonly hash?: string; readonly errors?: readonly string[] } | null;
}

/** Waits until the facade at `adminUrl` serves `text` (its `/status` hash); returns its version. */
export async function waitForFacadeToServe(
  admin: Pick<WalkthroughTarget, 'adminUrl' | 'adminToken'>,
  text: string,
  timeoutMs = 10_000,
): Promise<number | undefined> {
  const adminUrl = admin.adminUrl;
  const hash = contentHash(text);
  const deadline = Date.now() + timeoutMs;
  let last: AdminStatus = {};
  for (;;) {
    try {
      const response = await fetch(`${adminUrl}/status`, {
        headers: adminAuthorization(admin),
        signal: AbortSignal.timeout(3000),
      });
      last = (await response.json()) as AdminStatus;
    } catch {
      // not up (yet): try again until the deadline
    }
    if (last.hash === hash) return last.version;
    if (last.lastReloadError?.hash === hash) {
      throw new Error(
        `the facade refused the new rules: ${(last.lastReloadError.errors ?? []).join('; ')}`,
      );
    }
    if (Date.now() >= deadline) {
      throw new Error(
        `the facade at ${adminUrl} still serves ${last.hash ?? '?'} after ${timeoutMs} ms ` +
          `(written: ${hash}); does it watch this routes file?`,
      );
    }
    await sleep(100);
  }
}

/**
 * Inserts a rule block (YAML list item text, indented like the file's rules) before the rule
 * named `beforeRule`, with its comment lines; unchanged when a rule named `name` exists.
 */
export function insertRuleBefore(
  text: string,
  beforeRule: string,
  name: string,
  block: string,
): string {
  const lines = text.split('\n');
  if (lines.some((line) => new RegExp(`^\\s*- name: ${escape(name)}\\s*$`).test(line))) return text;
  const at = lines.findIndex((line) =>
    new RegExp(`^\\s*- name: ${escape(beforeRule)}\\s*$`).test(line),
  );
  if (at < 0) throw new Error(`routes file: no rule "${beforeRule}" to insert "${name}" before`);
  let start = at;
  while (start > 0 && /^\s*#/.test(lines[start - 1])) start -= 1;
  const blockLines = block.replace(/\n$/, '').split('\n');
  return [...lines.slice(0, start), ...blockLines, '', ...lines.slice(start)].join('\n');
}

/**
 * Replaces the comment lines right above the rule named `name` with `comment` (one or more
 * lines, without the `#`), indented like the rule: a step's change keeps the file's own
 * explanation true.
 */
export function setRuleComment(text: string, name: string, comment: string): string {
  const lines = text.split('\n');
  const at = lines.findIndex((line) => new RegExp(`^\\s*- name: ${escape(name)}\\s*$`).test(line));
  if (at < 0) throw new Error(`routes file: no rule "${name}"`);
  const indent = /^(\s*)-/.exec(lines[at])?.[1] ?? '';
  let start = at;
  while (start > 0 && /^\s*#/.test(lines[start - 1])) start -= 1;
  const commentLines = comment.split('\n').map((line) => `${indent}# ${line}`);
  return [...lines.slice(0, start), ...commentLines, ...lines.slice(at)].join('\n');
}

/** Removes the rule named `name` and the comment lines right above it (undo of an insertion). */
export function removeRule(text: string, name: string): string {
  const lines = text.split('\n');
  const at = lines.findIndex((line) => new RegExp(`^\\s*- name: ${escape(name)}\\s*$`).test(line));
  if (at < 0) return text;
  const indent = /^(\s*)-/.exec(lines[at])?.[1] ?? '';
  let end = at + 1;
  while (
    end < lines.length &&
    lines[end].trim() !== '' &&
    !lines[end].trimStart().startsWith('#') &&
    lines[end].startsWith(indent + ' ')
  ) {
    end += 1;
  }
  if (end < lines.length && lines[end].trim() === '') end += 1;
  let start = at;
  while (start > 0 && /^\s*#/.test(lines[start - 1])) start -= 1;
  return [...lines.slice(0, start), ...lines.slice(end)].join('\n');
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Sets `key` (a path below the rule) on the rule named `rule` with the facade's
 * comment-preserving YAML editor; for keys the rules editor has no operation for yet.
 */
export function setRuleKey(
  text: string,
  rule: string,
  key: readonly string[],
  value: EditValue,
): string {
  const edit = new YamlTextEdit(text);
  const rules: unknown = edit.get(['rules']);
  const index = isSeq(rules)
    ? rules.items.findIndex((item) => isMap(item) && item.get('name') === rule)
    : -1;
  if (index < 0) throw new Error(`routes file: no rule "${rule}"`);
  edit.set(['rules', index, ...key], value);
  return edit.result().text;
}
