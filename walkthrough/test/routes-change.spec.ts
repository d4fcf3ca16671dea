import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

import { loadCaseFiles } from '../../strangler-contracts/index.js';
import { parseRulesText } from '../../strangler-facade/src/rules/read-rules-file.js';
import { readOnlyCaseIds } from '../src/step-kit.js';
import {
  insertRuleBefore,
  previewRoutesEdit,
  removeRule,
  setRuleComment,
  setRuleKey,
} from '../src/routes-change.js';

const ROUTES = fileURLToPath(new URL('../../routes.yaml', import.meta.url));
const CARDS_SUITE = fileURLToPath(new URL('../../contracts/cards', import.meta.url));

/** The walkthrough's edits of the repository's own routes.yaml load in the facade. */
describe('walkthrough routes changes', () => {
  let text: string;
  beforeAll(async () => {
    text = await readFile(ROUTES, 'utf8');
  });

  const rules = (source: string) => {
    const parsed = parseRulesText(source, 'routes.yaml', {});
    if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
    return parsed.table;
  };

  it('adds a rule before another, with its comment, and removes it again', () => {
    const block = [
      '  # reads',
      '  - name: cards-reads',
      '    match: { methods: [GET], prefix: /cards }',
      '    upstream: cards-service',
    ].join('\n');
    const added = insertRuleBefore(text, 'cards', 'cards-reads', block);
    expect(added).toContain('# reads\n  - name: cards-reads');
    expect(added.indexOf('cards-reads')).toBeLessThan(added.indexOf('- name: cards\n'));
    rules(added);
    // Once there, inserting again changes nothing; removing it gives the file back.
    expect(insertRuleBefore(added, 'cards', 'cards-reads', block)).toBe(added);
    expect(removeRule(added, 'cards-reads')).toBe(text);
    expect(() => insertRuleBefore(text, 'nope', 'x', block)).toThrow('no rule "nope"');
  });

  it('sets a key the rules editor has no operation for, keeping comments', () => {
    const canary = previewRoutesEdit(text, 'routes.yaml', {
      editor: (editor) =>
        editor.setCanary('cards-get-by-id', { upstream: 'cards-service', percent: 10 }),
      text: (source) =>
        setRuleKey(source, 'cards-get-by-id', ['canary', 'stickyBy'], { header: 'x-user-id' }),
    });
    expect(canary).toContain('# ← flip to cards-service');
    expect(canary).toMatch(/stickyBy:\n\s+header: x-user-id/);
    rules(canary);
  });

  it('replaces the comment above a rule, keeping everything else', () => {
    const edited = setRuleComment(text, 'cards', 'first line\nsecond line');
    expect(edited).toContain('  # first line\n  # second line\n  - name: cards\n');
    expect(edited).not.toContain('stays on legacy');
    const untouched = (source: string) =>
      source.split('\n').filter((line) => !line.trimStart().startsWith('#'));
    expect(untouched(edited)).toEqual(untouched(text));
    expect(() => setRuleComment(text, 'nope', 'x')).toThrow('no rule "nope"');
  });

  it('refuses a text edit that would not load', () => {
    expect(() =>
      previewRoutesEdit(text, 'routes.yaml', {
        text: (source) => source.replace('upstream: legacy # ←', 'upstream: nowhere # ←'),
      }),
    ).toThrow();
  });

  it('picks the read-only cases of the cards suite', async () => {
    const ids = readOnlyCaseIds(await loadCaseFiles([CARDS_SUITE]));
    expect(ids.length).toBeGreaterThan(20);
    const files = new Set(ids.map((id) => id.split(' › ')[0]));
    expect([...files].sort()).toEqual(['get-card', 'list-cards', 'list-comments']);
  });
});
