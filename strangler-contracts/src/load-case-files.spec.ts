import { fileURLToPath } from 'node:url';
import { loadCaseFiles, parseCaseFile } from './load-case-files.js';
import { checkReferences, formatReferenceProblems, selectCases } from './run-contracts.js';

const problemsOf = (text: string): string[] => {
  const result = parseCaseFile('cases/demo.yaml', text);
  if (!('problems' in result)) throw new Error('expected problems');
  return result.problems;
};

describe('parseCaseFile', () => {
  it('loads a valid file and remembers where each case is', () => {
    const result = parseCaseFile(
      'cases/get-card.yaml',
      [
        'endpoint: GET /cards/:id',
        'defaults:',
        '  compare: { keyOrder: true }',
        'cases:',
        '  - name: found',
        '    request: { method: get, path: /cards/1 }',
        '    expect: { status: 200 }',
        '  - name: missing',
        '    request: { method: GET, path: /cards/2, query: { a: [1, x] } }',
        '    compare: { ignore: [$.message], unordered: [{ path: $.items, key: id }] }',
      ].join('\n'),
    );
    if (!('loaded' in result)) throw new Error(result.problems.join('\n'));
    expect(result.loaded.name).toBe('get-card');
    expect(result.loaded.file.cases[0]?.request.method).toBe('GET');
    expect(result.loaded.locate(['cases', 1])).toEqual({
      file: 'cases/get-card.yaml',
      line: 8,
      column: 5,
    });
  });

  it.each([
    [
      'an unknown method',
      'endpoint: GET /x\ncases:\n  - name: a\n    request:\n      method: FETCH\n      path: /x\n',
      /^cases\/demo\.yaml:5:15 cases\[0\]\.request\.method: must be one of GET/,
    ],
    [
      'an unknown field, at the key',
      'endpoint: GET /x\ncases:\n  - name: a\n    request: { method: GET, path: /x }\n    expects: { status: 200 }\n',
      /^cases\/demo\.yaml:5:5 cases\[0\]\.expects: Unrecognized key: "expects"$/,
    ],
    [
      'a missing request, at the case',
      'endpoint: GET /x\ncases:\n  - name: a\n',
      /^cases\/demo\.yaml:3:5 cases\[0\]\.request: /,
    ],
    [
      'a bad ignore path',
      'endpoint: GET /x\ncases:\n  - name: a\n    request: { method: GET, path: /x }\n    compare:\n      ignore: [$.ok, items]\n',
      /^cases\/demo\.yaml:6:22 cases\[0\]\.compare\.ignore\[1\]: invalid path "items"/,
    ],
    [
      'a capture that names many values',
      "endpoint: GET /x\ncases:\n  - name: a\n    request: { method: GET, path: /x }\n    capture: { ids: '$.items[*].id' }\n",
      /^cases\/demo\.yaml:5:21 cases\[0\]\.capture\.ids: capture "\$\.items\[\*\]\.id" must name one value/,
    ],
    [
      'a path without a leading slash',
      'endpoint: GET /x\ncases:\n  - name: a\n    request: { method: GET, path: cards }\n',
      /^cases\/demo\.yaml:4:35 cases\[0\]\.request\.path: must start with "\/"/,
    ],
    [
      'json and body together',
      "endpoint: POST /x\ncases:\n  - name: a\n    request: { method: POST, path: /x, json: {}, body: '{}' }\n",
      /^cases\/demo\.yaml:4:14 cases\[0\]\.request: give either json or body, not both/,
    ],
    [
      'an endpoint without a method',
      'endpoint: /cards\ncases:\n  - name: a\n    request: { method: GET, path: /x }\n',
      /^cases\/demo\.yaml:1:11 endpoint: must look like "GET \/cards\/:id"/,
    ],
    [
      'a YAML syntax error',
      'endpoint: GET /x\ncases:\n  - name: a\n    request: { method: GET, path: /x\n',
      /^cases\/demo\.yaml:\d+:\d+ YAML syntax: /,
    ],
    [
      'a duplicate key',
      'endpoint: GET /x\nendpoint: GET /y\ncases: []\n',
      /^cases\/demo\.yaml:2:1 YAML syntax: Map keys must be unique/,
    ],
  ])('names file:line:column and the field for %s', (_label, text, expected) => {
    expect(problemsOf(text)[0]).toMatch(expected);
  });

  it('reports every problem of a file, not just the first', () => {
    const problems = problemsOf(
      'endpoint: GET /x\ncases:\n  - request: { method: GET, path: /x }\n  - name: b\n    request: { method: NOPE, path: /x }\n',
    );
    expect(problems).toEqual([
      expect.stringMatching(/^cases\/demo\.yaml:3:5 cases\[0\]\.name: is required/),
      expect.stringMatching(/^cases\/demo\.yaml:5:24 cases\[1\]\.request\.method: /),
    ]);
  });
});

describe('the repository suite contracts/cards', () => {
  const suite = fileURLToPath(new URL('../../contracts/cards', import.meta.url));

  it('loads, skips the vars file, and resolves every variable of example.vars.yaml', async () => {
    const files = await loadCaseFiles([suite]);
    expect(files.map((file) => file.name)).not.toContain('example.vars');
    expect(files.length).toBeGreaterThanOrEqual(9);
    const { parseVars } = await import('./load-vars.js');
    const { readFile } = await import('node:fs/promises');
    const vars = parseVars('example', await readFile(`${suite}/example.vars.yaml`, 'utf8'));
    const problems = selectCases(files, []).flatMap((entry) =>
      checkReferences(entry, new Map(Object.entries(vars)), {}),
    );
    expect(problems).toEqual([]);
  });

  it('a missing variable is found before anything is sent, with its line', async () => {
    const files = await loadCaseFiles([`${suite}/update-card.yaml`]);
    const [first] = selectCases(files, ['the author changes the title']);
    const problems = checkReferences(first, new Map([['memberToken', 't']]), {});
    expect(problems).toEqual([]);
    const missing = formatReferenceProblems(checkReferences(first, new Map(), {}));
    expect(missing).toEqual([
      'missing variables: memberToken (give them with --vars <file> or --var name=value)',
      expect.stringMatching(
        /update-card\.yaml:6:\d+: unknown variable \$\{memberToken\} .* \(case "the author changes the title"\)$/,
      ),
    ]);
  });
});
