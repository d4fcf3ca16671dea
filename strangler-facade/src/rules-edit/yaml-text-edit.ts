/**
 * Format-preserving edits of a YAML text.
 *
 * Each edit is applied twice:
 *  1. to a `yaml` Document with `setIn` / `deleteIn` — the meaning of the edit, and
 *  2. to the user's text as a splice of the smallest range that changes (a scalar's characters,
 *     a new `key: value` block after the last sibling, the lines of a removed entry), so every
 *     comment, blank line, quote, flow `{ }` and indentation outside that range stays byte-for-byte.
 *
 * `result()` re-parses the spliced text and checks it means the same as the edited Document. In
 * the rare shapes the splicer does not handle (a removed key that opens a `- ` list item, an
 * empty value), or if the check ever failed, the Document is serialised instead: comments and
 * key order still survive, spacing may not (`reformatted: true` says so).
 *
 * Flow collections (`{ a: 1 }`) that gain or lose a key are re-serialised as a whole (only that
 * collection's text changes).
 */
import { isDeepStrictEqual } from 'node:util';

import { Document, isMap, isScalar, parseDocument, type Node, type Pair, type YAMLMap } from 'yaml';

import { renderBlockEntry, renderScalar, type EditValue } from './render-yaml-value.js';

export type YamlPath = readonly (string | number)[];

export interface YamlEditResult {
  readonly text: string;
  /** True when the text had to be re-serialised (spacing outside the edit may differ). */
  readonly reformatted: boolean;
}

const SERIALISE = { lineWidth: 0, flowCollectionPadding: true } as const;

export class YamlTextEdit {
  /** The meaning: the original document, edited through the Document API. */
  readonly document: Document;
  private text: string;
  private spliceFailed = false;
  private readonly eol: string;

  constructor(private readonly original: string) {
    this.text = original;
    this.document = parseDocument(original);
    this.eol = original.includes('\r\n') ? '\r\n' : '\n';
  }

  /** The node at `path` in the edited document (undefined when absent). */
  get(path: YamlPath): unknown {
    return this.document.getIn(path, true);
  }

  /** Sets `path` to `value`; an object value is merged key by key into an existing map. */
  set(path: YamlPath, value: EditValue): void {
    if (typeof value === 'object' && isMap(this.document.getIn(path, true))) {
      for (const [key, item] of Object.entries(value)) this.set([...path, key], item);
      return;
    }
    const existing: unknown = this.document.getIn(path, true);
    // Same value (`5.0` for 5 too): leave the text alone, so a no-op edit writes nothing.
    if (isScalar(existing) && existing.value === value) return;
    if (isScalar(existing) && typeof value !== 'object') existing.value = value;
    else this.document.setIn(path, this.document.createNode(value));
    if (!this.spliceFailed) this.spliceFailed = !this.spliceSet(path, value);
  }

  /** Removes the entry at `path` (a map key); nothing happens when it is absent. */
  delete(path: YamlPath): void {
    if (!this.document.hasIn(path)) return;
    this.document.deleteIn(path);
    if (!this.spliceFailed) this.spliceFailed = !this.spliceDelete(path);
  }

  result(): YamlEditResult {
    if (this.text === this.original && !this.spliceFailed)
      return { text: this.text, reformatted: false };
    if (!this.spliceFailed) {
      const spliced = parseDocument(this.text);
      if (spliced.errors.length === 0 && isDeepStrictEqual(spliced.toJS(), this.document.toJS())) {
        return { text: this.text, reformatted: false };
      }
    }
    return { text: this.document.toString(SERIALISE), reformatted: true };
  }

  // --- splicing: each returns false when it cannot express the edit in place ---------------

  private spliceSet(path: YamlPath, value: EditValue): boolean {
    const current = parseDocument(this.text);
    const parent = parentMap(current, path);
    if (!parent) return false;
    const key = path[path.length - 1];
    const pair = findPair(parent, key);
    if (pair) {
      const node = pair.value;
      if (!isScalar(node) || !node.range || typeof value === 'object') return false;
      const [start, end] = node.range;
      this.replace(start, end, renderScalar(value, node.type));
      return true;
    }
    if (parent.flow) return this.reserialise(parent, path.slice(0, -1));
    return this.insertBlockEntry(parent, String(key), value);
  }

  private spliceDelete(path: YamlPath): boolean {
    const current = parseDocument(this.text);
    const parent = parentMap(current, path);
    if (!parent) return false;
    const pair = findPair(parent, path[path.length - 1]);
    if (!pair) return true;
    if (parent.flow) return this.reserialise(parent, path.slice(0, -1));
    const keyNode = pair.key as Node | null;
    if (!keyNode?.range) return false;
    const lineStart = this.text.lastIndexOf('\n', keyNode.range[0] - 1) + 1;
    // `- canary: …` would take the list item's dash with it.
    if (this.text.slice(lineStart, keyNode.range[0]).trim() !== '') return false;
    const valueNode = pair.value as Node | null;
    let end = valueNode?.range ? valueNode.range[2] : keyNode.range[2];
    if (this.text[end - 1] !== '\n') {
      const newline = this.text.indexOf('\n', end);
      end = newline === -1 ? this.text.length : newline + 1;
    }
    this.replace(lineStart, end, '');
    return true;
  }

  /** A new `key: value` after the last entry of a block map, at the entries' indentation. */
  private insertBlockEntry(parent: YAMLMap, key: string, value: EditValue): boolean {
    const first = parent.items[0]?.key as Node | undefined;
    if (!first?.range || !parent.range) return false;
    const column = first.range[0] - (this.text.lastIndexOf('\n', first.range[0] - 1) + 1);
    let at = parent.range[1];
    let prefix = '';
    if (this.text[at - 1] !== '\n') {
      const newline = this.text.indexOf('\n', at);
      if (newline === -1) {
        at = this.text.length;
        prefix = this.eol;
      } else at = newline + 1;
    }
    const entry = renderBlockEntry(key, value, column, this.indentStep(), this.eol);
    this.replace(at, at, prefix + entry);
    return true;
  }

  /** Replaces a flow collection's text with the edited document's rendering of it. */
  private reserialise(parent: YAMLMap, path: YamlPath): boolean {
    const edited = path.length === 0 ? this.document.contents : this.document.getIn(path, true);
    if (!isMap(edited) || !parent.range) return false;
    const copy = edited.clone() as YAMLMap;
    copy.flow = true;
    copy.comment = copy.commentBefore = null;
    const single = new Document(null);
    single.contents = copy;
    const rendered = single.toString(SERIALISE).replace(/\r?\n$/, '');
    if (rendered.includes('\n')) return false;
    // The node's range can run on over a trailing comment: end at the brace closing it.
    const last = parent.items[parent.items.length - 1];
    const lastEnd = Math.max(
      parent.range[0],
      (last?.key as Node | null)?.range?.[1] ?? 0,
      (last?.value as Node | null)?.range?.[1] ?? 0,
    );
    const close = this.text.indexOf('}', lastEnd);
    if (close === -1 || close >= parent.range[2]) return false;
    this.replace(parent.range[0], close + 1, rendered);
    return true;
  }

  /** The file's indentation step: the smallest indent of a nested block key (default 2). */
  private indentStep(): number {
    let step = Infinity;
    for (const match of this.original.matchAll(/^( +)[^\s#-]/gm)) {
      step = Math.min(step, match[1]?.length ?? Infinity);
    }
    return Number.isFinite(step) && step <= 8 ? step : 2;
  }

  private replace(start: number, end: number, insert: string): void {
    this.text = this.text.slice(0, start) + insert + this.text.slice(end);
  }
}

function parentMap(document: Document, path: YamlPath): YAMLMap | null {
  const parentPath = path.slice(0, -1);
  const parent: unknown =
    parentPath.length === 0 ? document.contents : document.getIn(parentPath, true);
  return isMap(parent) ? parent : null;
}

function findPair(map: YAMLMap, key: string | number | undefined): Pair | undefined {
  return map.items.find((pair) => {
    const node: unknown = pair.key;
    return (isScalar(node) ? String(node.value) : String(node)) === String(key);
  });
}
