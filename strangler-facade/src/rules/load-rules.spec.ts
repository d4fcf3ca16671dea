import { formatFieldPath, loadRules } from './load-rules.js';

const VALID = `version: 1
upstreams:
  legacy:
    url: http://127.0.0.1:3001
  cards-service:
    url: http://127.0.0.1:3002
rules:
  - name: cards-get-by-id
    match: { methods: [GET], path: /cards/:id }
    upstream: legacy
  - name: cards
    match:
      prefix: /cards
    upstream: legacy
default:
  upstream: legacy
`;

/** Replaces the `index`-th occurrence of `from` in VALID. */
function edit(from: string, to: string, text = VALID): string {
  expect(text).toContain(from);
  return text.replace(from, to);
}

function errorsOf(text: string): readonly string[] {
  const result = loadRules(text, 'routes.yaml');
  if (result.ok) throw new Error('expected the file to be refused');
  return result.errors;
}

describe('loadRules', () => {
  it('accepts the example and applies defaults', () => {
    const result = loadRules(VALID, 'routes.yaml');
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.default).toEqual({
      name: 'default',
      upstream: 'legacy',
      allowSemicolons: false,
    });
    expect(result.config.settings).toMatchObject({
      routeHeaders: true,
      trustedProxies: [],
      caseSensitive: false,
    });
    expect(result.config.rules.map((rule) => rule.name)).toEqual(['cards-get-by-id', 'cards']);
  });

  it('names file, line, column and field for an unknown upstream', () => {
    const text = edit(
      '    upstream: legacy\n  - name: cards',
      '    upstream: cards-svc\n  - name: cards',
    );
    expect(errorsOf(text)).toEqual([
      'routes.yaml:10:5 rules[0].upstream: unknown upstream "cards-svc" (known: legacy, cards-service)',
    ]);
  });

  it('reports an unknown default upstream', () => {
    expect(errorsOf(edit('default:\n  upstream: legacy', 'default:\n  upstream: nowhere'))).toEqual(
      [
        'routes.yaml:16:3 default.upstream: unknown upstream "nowhere" (known: legacy, cards-service)',
      ],
    );
  });

  it('reports duplicate rule names at the second one', () => {
    expect(errorsOf(edit('- name: cards\n', '- name: cards-get-by-id\n'))).toEqual([
      'routes.yaml:11:5 rules[1].name: duplicate rule name "cards-get-by-id" (first used by rules[0])',
    ]);
  });

  it('reports a bad URL', () => {
    const errors = errorsOf(edit('url: http://127.0.0.1:3002', 'url: not a url'));
    expect(errors).toEqual([
      'routes.yaml:6:5 upstreams.cards-service.url: invalid URL "not a url"',
    ]);
    expect(errorsOf(edit('url: http://127.0.0.1:3002', 'url: ftp://x'))[0]).toMatch(
      /must use http or https/,
    );
    expect(errorsOf(edit('url: http://127.0.0.1:3002', 'url: http://x/api'))[0]).toMatch(/no path/);
  });

  it('reports an invalid path pattern and a prefix with a trailing slash', () => {
    expect(errorsOf(edit('path: /cards/:id', 'path: cards/:id'))[0]).toMatch(
      /^routes\.yaml:9:30 rules\[0\]\.match\.path: must start with "\/"/,
    );
    expect(errorsOf(edit('prefix: /cards', 'prefix: /cards/'))[0]).toMatch(
      /^routes\.yaml:13:7 rules\[1\]\.match\.prefix: must start/,
    );
  });

  it('requires exactly one of path or prefix', () => {
    expect(errorsOf(edit('prefix: /cards', 'methods: [GET]'))).toEqual([
      'routes.yaml:12:5 rules[1].match: needs exactly one of "path" or "prefix"',
    ]);
  });

  it('reports unknown keys at the key (typos are errors, not ignored)', () => {
    expect(errorsOf(edit('    upstream: legacy\ndefault', '    upstrem: legacy\ndefault'))).toEqual(
      [
        'routes.yaml:11:5 rules[1].upstream: required (expected string)',
        'routes.yaml:14:5 rules[1].upstrem: Unrecognized key: "upstrem"',
      ],
    );
  });

  it('reports a missing required key at its parent', () => {
    const errors = errorsOf(VALID.replace('default:\n  upstream: legacy\n', ''));
    expect(errors).toEqual(['routes.yaml:1:1 default: required (expected object)']);
  });

  it('reports unknown upstreams even when other parts of the file are malformed', () => {
    const text = edit(
      'version: 1',
      'version: 2',
      edit('    upstream: legacy\n  - name: cards', '    upstream: cards-svc\n  - name: cards'),
    );
    expect(errorsOf(text)).toEqual([
      'routes.yaml:1:1 version: Invalid input: expected 1',
      'routes.yaml:10:5 rules[0].upstream: unknown upstream "cards-svc" (known: legacy, cards-service)',
    ]);
  });

  it('refuses a rule named like the default rule', () => {
    expect(errorsOf(edit('- name: cards\n', '- name: default\n'))).toEqual([
      'routes.yaml:11:5 rules[1].name: rule name "default" is the default rule\'s name (rename one of them)',
    ]);
  });

  it('reports a wrong version', () => {
    expect(errorsOf(edit('version: 1', 'version: 2'))[0]).toMatch(/^routes\.yaml:1:1 version: /);
  });

  it('reports YAML syntax errors with their position', () => {
    const errors = errorsOf(
      edit(
        '    match: { methods: [GET], path: /cards/:id }',
        '    match: { methods: [GET, path: /cards/:id }',
      ),
    );
    expect(errors[0]).toMatch(/^routes\.yaml:9:\d+ YAML syntax: /);
  });

  it('reports duplicate keys as YAML errors', () => {
    expect(errorsOf(edit('default:\n', 'rules: []\ndefault:\n'))[0]).toMatch(
      /^routes\.yaml:15:1 YAML syntax: .*unique/i,
    );
  });

  it.each([
    ['an empty file', ''],
    ['a file of blanks', '  \n\n'],
  ])('refuses %s instead of loading no routes', (_label, text) => {
    expect(errorsOf(text)).toEqual(['routes.yaml:1:1 file is empty (refusing to load no routes)']);
  });

  it('refuses a file of only comments, a scalar or a list', () => {
    expect(errorsOf('# nothing\n')[0]).toMatch(/^routes\.yaml:1:1 \(root\): /);
    expect(errorsOf('hello\n')[0]).toMatch(/^routes\.yaml:1:1 \(root\): /);
    expect(errorsOf('- a\n')[0]).toMatch(/^routes\.yaml:1:1 \(root\): /);
  });

  it('refuses a half-written file (cut before the default rule)', () => {
    const cut = VALID.slice(0, VALID.indexOf('  - name: cards\n') + 12);
    expect(errorsOf(cut).join('\n')).toMatch(/default/);
  });

  it('validates settings', () => {
    const text = `settings:\n  trustedProxies: [10.0.0.0/8, "::1", nope]\n  routeHeaders: maybe\n${VALID}`;
    expect(errorsOf(text)).toEqual([
      'routes.yaml:2:39 settings.trustedProxies[2]: must be an IP address or CIDR such as 10.0.0.0/8 or ::1',
      'routes.yaml:3:3 settings.routeHeaders: Invalid input: expected boolean, received string',
    ]);
  });
});

describe('formatFieldPath', () => {
  it('prints keys with dots and indices in brackets', () => {
    expect(formatFieldPath(['rules', 2, 'match', 'path'])).toBe('rules[2].match.path');
    expect(formatFieldPath([])).toBe('');
  });
});
