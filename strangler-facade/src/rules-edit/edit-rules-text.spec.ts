/**
 * Golden tests on the example routes.yaml: each operation changes exactly the expected
 * characters, and everything else (comments, blank lines, flow maps, the trailing comment on the
 * edited line) stays byte-for-byte.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { loadRules } from '../rules/load-rules.js';
import { editRulesText } from './edit-rules-text.js';
import { InvalidEditError, RulesEditRefusedError, UnknownRuleError } from './rules-edit-errors.js';
import type { RulesEditor } from './rules-editor.js';

const EXAMPLE = readFileSync(path.join(import.meta.dirname, '../../../routes.yaml'), 'utf8');

const FLIP_LINE = '    upstream: legacy # ← flip to cards-service\n';
const CARDS_RULE_END = '    match: { prefix: /cards }\n    upstream: legacy\n';

function edit(text: string, operation: (rules: RulesEditor) => void) {
  return editRulesText(text, 'routes.yaml', operation);
}

/** `text` with the one occurrence of `find` replaced (fails the test when not exactly one). */
function replaceOnce(text: string, find: string, replacement: string): string {
  expect(text.split(find)).toHaveLength(2);
  return text.replace(find, replacement);
}

function configOf(text: string) {
  const loaded = loadRules(text, 'routes.yaml');
  if (!loaded.ok) throw new Error(loaded.errors.join('\n'));
  return loaded.config;
}

const withCanary = replaceOnce(
  EXAMPLE,
  FLIP_LINE,
  FLIP_LINE +
    '    canary: # staff first\n' +
    '      upstream: cards-service\n' +
    '      percent: 5\n' +
    "      stickyBy: { header: 'x-user-id' } # keep me\n",
);

describe('editRulesText on the example routes.yaml', () => {
  it('setUpstream changes only the value, keeping the comment on the line', () => {
    const result = edit(EXAMPLE, (rules) => rules.setUpstream('cards-get-by-id', 'cards-service'));
    expect(result.changed).toBe(true);
    expect(result.reformatted).toBe(false);
    expect(result.previousText).toBe(EXAMPLE);
    expect(result.text).toBe(
      replaceOnce(EXAMPLE, FLIP_LINE, '    upstream: cards-service # ← flip to cards-service\n'),
    );
  });

  it('setUpstream on the default rule, by its name', () => {
    const result = edit(EXAMPLE, (rules) => rules.setUpstream('default', 'cards-service'));
    expect(result.text).toBe(
      replaceOnce(EXAMPLE, 'default:\n  upstream: legacy', 'default:\n  upstream: cards-service'),
    );
  });

  it('setting the value a rule already has is no change', () => {
    const result = edit(EXAMPLE, (rules) => rules.setUpstream('cards', 'legacy'));
    expect(result).toEqual({
      changed: false,
      text: EXAMPLE,
      previousText: EXAMPLE,
      reformatted: false,
    });
  });

  it('setCanary adds a block after the last key of the rule, at its indentation', () => {
    const result = edit(EXAMPLE, (rules) =>
      rules.setCanary('cards-get-by-id', { upstream: 'cards-service', percent: 10 }),
    );
    expect(result.reformatted).toBe(false);
    expect(result.text).toBe(
      replaceOnce(
        EXAMPLE,
        FLIP_LINE,
        FLIP_LINE + '    canary:\n      upstream: cards-service\n      percent: 10\n',
      ),
    );
    expect(configOf(result.text).rules[0]).toMatchObject({
      upstream: 'legacy',
      canary: { upstream: 'cards-service', percent: 10 },
    });
  });

  it('setCanary on the last rule before a comment and blank line inserts before them', () => {
    const result = edit(EXAMPLE, (rules) =>
      rules.setCanary('cards', { upstream: 'cards-service', percent: 2.5 }),
    );
    expect(result.text).toBe(
      replaceOnce(
        EXAMPLE,
        CARDS_RULE_END,
        CARDS_RULE_END + '    canary:\n      upstream: cards-service\n      percent: 2.5\n',
      ),
    );
  });

  it('setCanary on an existing canary changes the two values and keeps the rest', () => {
    const result = edit(withCanary, (rules) =>
      rules.setCanary('cards-get-by-id', { upstream: 'legacy', percent: 50 }),
    );
    expect(result.text).toBe(
      replaceOnce(
        replaceOnce(withCanary, '      upstream: cards-service\n', '      upstream: legacy\n'),
        '      percent: 5\n',
        '      percent: 50\n',
      ),
    );
  });

  it('setCanaryPercent changes one number', () => {
    const result = edit(withCanary, (rules) => rules.setCanaryPercent('cards-get-by-id', 25));
    expect(result.text).toBe(replaceOnce(withCanary, '      percent: 5\n', '      percent: 25\n'));
  });

  it('setCanaryPercent without a canary is an error', () => {
    expect(() => edit(EXAMPLE, (rules) => rules.setCanaryPercent('cards', 5))).toThrow(
      InvalidEditError,
    );
  });

  it('setCanaryStickyBy replaces the key, keeps the rest of the canary, and null removes it', () => {
    const byToken = edit(withCanary, (rules) =>
      rules.setCanaryStickyBy('cards-get-by-id', { bearerToken: { regex: '^(.+)\\.' } }),
    );
    expect(configOf(byToken.text).rules[0]?.canary?.stickyBy).toEqual({
      bearerToken: { regex: '^(.+)\\.' },
    });
    expect(byToken.text).toContain('    canary: # staff first\n');
    const removed = edit(withCanary, (rules) => rules.setCanaryStickyBy('cards-get-by-id', null));
    expect(removed.text).toBe(
      replaceOnce(withCanary, "      stickyBy: { header: 'x-user-id' } # keep me\n", ''),
    );
    expect(() =>
      edit(EXAMPLE, (rules) => rules.setCanaryStickyBy('cards', { clientAddress: true })),
    ).toThrow(/rule "cards" has no canary/);
  });

  it('a canary or shadow on the default rule is refused with a message saying why', () => {
    for (const operation of [
      (rules: RulesEditor) => rules.setCanary('default', { upstream: 'cards-service', percent: 5 }),
      (rules: RulesEditor) => rules.setShadow('default', { upstream: 'cards-service', percent: 5 }),
    ]) {
      expect(() => edit(EXAMPLE, operation)).toThrow(
        /"default" is the default rule, which only names where unmatched requests go/,
      );
    }
  });

  it('clearCanary removes the block (with its comments) and restores the original', () => {
    const result = edit(withCanary, (rules) => rules.clearCanary('cards-get-by-id'));
    expect(result.text).toBe(EXAMPLE);
    expect(edit(EXAMPLE, (rules) => rules.clearCanary('cards-get-by-id')).changed).toBe(false);
  });

  it('setShadow adds, changes and clearShadow removes a shadow block', () => {
    const added = edit(EXAMPLE, (rules) =>
      rules.setShadow('cards-get-by-id', { upstream: 'cards-service', percent: 100 }),
    );
    expect(added.text).toBe(
      replaceOnce(
        EXAMPLE,
        FLIP_LINE,
        FLIP_LINE + '    shadow:\n      upstream: cards-service\n      percent: 100\n',
      ),
    );
    const changed = edit(added.text, (rules) =>
      rules.setShadow('cards-get-by-id', { upstream: 'cards-service', percent: 20 }),
    );
    expect(changed.text).toBe(
      replaceOnce(added.text, '      percent: 100\n', '      percent: 20\n'),
    );
    expect(edit(changed.text, (rules) => rules.clearShadow('cards-get-by-id')).text).toBe(EXAMPLE);
  });

  it('several operations in one edit', () => {
    const result = edit(EXAMPLE, (rules) => {
      rules.setShadow('cards', { upstream: 'cards-service', percent: 10 });
      rules.setCanary('cards-get-by-id', { upstream: 'cards-service', percent: 1 });
      rules.setCanaryPercent('cards-get-by-id', 5);
    });
    const config = configOf(result.text);
    expect(config.rules[0]?.canary).toMatchObject({ upstream: 'cards-service', percent: 5 });
    expect(config.rules[1]?.shadow).toMatchObject({ upstream: 'cards-service', percent: 10 });
    expect(result.reformatted).toBe(false);
    // every line of the original is still there, in order
    const lines = result.text.split('\n');
    let at = 0;
    for (const line of EXAMPLE.split('\n')) {
      at = lines.indexOf(line, at);
      expect(at).toBeGreaterThanOrEqual(0);
    }
  });

  it('ruleNames lists the rules in order and the default rule last', () => {
    let names: readonly string[] = [];
    edit(EXAMPLE, (rules) => {
      names = rules.ruleNames;
    });
    expect(names).toEqual(['cards-get-by-id', 'cards', 'default']);
  });

  it('an unknown rule is an error naming the known ones', () => {
    expect(() => edit(EXAMPLE, (rules) => rules.setUpstream('cards-by-id', 'legacy'))).toThrow(
      new UnknownRuleError('cards-by-id', ['cards-get-by-id', 'cards', 'default'], 'routes.yaml'),
    );
    try {
      edit(EXAMPLE, (rules) => rules.clearShadow('nope'));
    } catch (error) {
      expect((error as UnknownRuleError).errors).toEqual([
        'routes.yaml: no rule named "nope" (rules: cards-get-by-id, cards, default)',
      ]);
    }
  });

  it('a result the loader refuses is an error carrying its file:line:col messages', () => {
    let refused: unknown;
    try {
      edit(EXAMPLE, (rules) => rules.setUpstream('cards-get-by-id', 'cards-svc'));
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(RulesEditRefusedError);
    const line = EXAMPLE.slice(0, EXAMPLE.indexOf(FLIP_LINE)).split('\n').length;
    expect((refused as RulesEditRefusedError).errors).toEqual([
      `routes.yaml:${line}:5 rules[0].upstream: unknown upstream "cards-svc" (known: legacy, cards-service, search-service)`,
    ]);
  });

  it('refuses a percent out of range with the loader message', () => {
    expect(() =>
      edit(EXAMPLE, (rules) =>
        rules.setCanary('cards', { upstream: 'cards-service', percent: 101 }),
      ),
    ).toThrow(/rules\[1\]\.canary\.percent/);
  });

  it('refuses a non-number percent and an empty upstream before editing', () => {
    expect(() =>
      edit(EXAMPLE, (rules) => rules.setCanary('cards', { upstream: '', percent: 1 })),
    ).toThrow(InvalidEditError);
    expect(() => edit(EXAMPLE, (rules) => rules.setCanaryPercent('cards', Number.NaN))).toThrow(
      InvalidEditError,
    );
  });
});

describe('editRulesText on other layouts', () => {
  const HEAD =
    'version: 1\nupstreams: { legacy: { url: http://127.0.0.1:1 }, new: { url: http://127.0.0.1:2 } }\n';

  it('flow-style rule maps get the key inside the braces', () => {
    const text = `${HEAD}rules:\n  - { name: a, match: { prefix: /a }, upstream: legacy } # flow\ndefault: { upstream: legacy }\n`;
    const result = edit(text, (rules) => rules.setShadow('a', { upstream: 'new', percent: 50 }));
    expect(result.text).toBe(
      text.replace(
        '{ name: a, match: { prefix: /a }, upstream: legacy }',
        '{ name: a, match: { prefix: /a }, upstream: legacy, shadow: { upstream: new, percent: 50 } }',
      ),
    );
    expect(edit(result.text, (rules) => rules.clearShadow('a')).text).toBe(text);
  });

  it('sequences not indented under their key, 4-space indents, quotes, CRLF', () => {
    const text =
      `${HEAD}rules:\r\n- name: 'a'\r\n  match:\r\n      prefix: "/a"\r\n  upstream: "legacy"  # two spaces\r\ndefault:\r\n    upstream: legacy\r\n`.replace(
        /(?<!\r)\n/g,
        '\r\n',
      );
    const result = edit(text, (rules) => {
      rules.setUpstream('a', 'new');
      rules.setCanary('a', { upstream: 'legacy', percent: 1 });
    });
    expect(result.reformatted).toBe(false);
    expect(result.text).toBe(
      text.replace(
        '  upstream: "legacy"  # two spaces\r\n',
        '  upstream: "new"  # two spaces\r\n  canary:\r\n    upstream: legacy\r\n    percent: 1\r\n',
      ),
    );
  });

  it('a file without a final newline', () => {
    const text = `${HEAD}default:\n  upstream: legacy\nrules:\n  - name: a\n    match: { prefix: /a }\n    upstream: legacy`;
    const result = edit(text, (rules) => rules.setCanary('a', { upstream: 'new', percent: 1 }));
    expect(result.text).toBe(`${text}\n    canary:\n      upstream: new\n      percent: 1\n`);
  });

  it('values the schema does not allow are refused by the loader', () => {
    expect(() =>
      edit(EXAMPLE, (rules) => rules.setCanary('cards', { upstream: 'legacy', percent: 150 })),
    ).toThrow(/^routes\.yaml:\d+:\d+ rules\[1\]\.canary\.percent: /);
  });
});
