import { compileComparison } from '../../strangler-compare/index.js';
import type { ContractCaseResult, ContractRunResult } from './contract-results.js';
import { attribute, renderJunitXml, text } from './junit-report.js';

/**
 * A small XML 1.0 well-formedness check (no parser dependency): one root, balanced tags,
 * quoted attributes without raw `<` or `&`, text without raw `<`, only known entities and no
 * forbidden characters. Returns the elements seen, in order.
 */
function checkWellFormed(
  xml: string,
): { name: string; attributes: Record<string, string>; text: string }[] {
  // eslint-disable-next-line no-control-regex -- the characters XML 1.0 forbids
  const forbidden = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/;
  if (forbidden.test(xml)) throw new Error('forbidden character');
  const entity = /&(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-f]+);/gi;
  const body = xml.replace(/^<\?xml [^?]*\?>\s*/, '');
  const token = /<(\/?)([A-Za-z_][\w.-]*)((?:\s+[A-Za-z_][\w.-]*="[^"<]*")*)\s*(\/?)>|([^<]+)/gy;
  const stack: string[] = [];
  const elements: { name: string; attributes: Record<string, string>; text: string }[] = [];
  let roots = 0;
  let match: RegExpExecArray | null;
  let consumed = 0;
  while ((match = token.exec(body)) !== null) {
    consumed = token.lastIndex;
    const [, closing, name, attrs, selfClosing, content] = match;
    if (content !== undefined) {
      if (content.replace(entity, '').includes('&')) throw new Error(`raw & in text: ${content}`);
      if (stack.length === 0 && content.trim()) throw new Error('text outside the root');
      if (elements.length > 0) elements[elements.length - 1].text += content;
      continue;
    }
    if (closing) {
      if (stack.pop() !== name) throw new Error(`unbalanced </${name}>`);
      continue;
    }
    if (stack.length === 0) roots++;
    const attributes: Record<string, string> = {};
    for (const [, key, value] of (attrs ?? '').matchAll(/([A-Za-z_][\w.-]*)="([^"]*)"/g)) {
      if (value.replace(entity, '').includes('&')) throw new Error(`raw & in attribute ${key}`);
      if (key in attributes) throw new Error(`duplicate attribute ${key}`);
      attributes[key] = value!;
    }
    elements.push({ name: name, attributes, text: '' });
    if (!selfClosing) stack.push(name);
  }
  if (consumed !== body.length)
    throw new Error(`not well-formed at: ${body.slice(consumed, consumed + 40)}`);
  if (stack.length > 0) throw new Error(`unclosed <${stack.join('>, <')}>`);
  if (roots !== 1) throw new Error(`${roots} root elements`);
  return elements;
}

const nasty = 'a <b> & "c" \'d\' \u0001 \u001b[31mred\u001b[0m \ud800 ]]> end';

function caseResult(overrides: Partial<ContractCaseResult>): ContractCaseResult {
  return {
    id: 'cards › x',
    file: 'contracts/cards/get-card.yaml',
    line: 3,
    endpoint: 'GET /cards/:id',
    name: 'x',
    outcome: 'passed',
    durationMs: 12,
    exchanges: [],
    warnings: [],
    ...overrides,
  };
}

function run(cases: ContractCaseResult[]): ContractRunResult {
  const count = (outcome: string) => cases.filter((entry) => entry.outcome === outcome).length;
  return {
    ok: false,
    oldBaseUrl: 'http://old.test/?a=1&b=2',
    newBaseUrl: 'http://new.test',
    startedAt: '2026-01-01T00:00:00.000Z',
    durationMs: 1234,
    cases,
    endpoints: [
      {
        key: 'get-card GET /cards/:id',
        file: 'contracts/cards/get-card.yaml',
        endpoint: 'GET /cards/:id',
        cases: cases.length,
        passed: count('passed'),
        failed: count('failed'),
        errors: count('error'),
        skipped: count('skipped'),
      },
    ],
    totals: {
      cases: cases.length,
      passed: count('passed'),
      failed: count('failed'),
      errors: count('error'),
      skipped: count('skipped'),
    },
    diffSummary: { version: 1, routes: [] },
  };
}

describe('renderJunitXml', () => {
  const comparison = compileComparison().compareJson(
    { title: nasty, likeCount: 1 },
    { title: 'x', likes: 1 },
  );
  const xml = renderJunitXml(
    run([
      caseResult({ name: 'passes' }),
      caseResult({
        name: `fails ${nasty}`,
        outcome: 'failed',
        exchanges: [
          {
            step: 'request',
            old: { request: 'GET /cards/1?a=1&b=<2>', status: 200, durationMs: 3 },
            new: { request: 'GET /cards/1?a=1&b=<2>', status: 200, durationMs: 4 },
            comparison,
            expectationFailures: ['new side: expected status 200, got 500'],
          },
        ],
      }),
      caseResult({ name: 'errors', outcome: 'error', error: `new side: refused ${nasty}` }),
      caseResult({ name: 'skipped', outcome: 'skipped', error: 'not yet & never' }),
    ]),
  );

  it('is well-formed XML with one suite per endpoint and one testcase per case', () => {
    const elements = checkWellFormed(xml);
    expect(elements[0]).toMatchObject({
      name: 'testsuites',
      attributes: { tests: '4', failures: '1', errors: '1', skipped: '1', time: '1.234' },
    });
    expect(elements.filter((element) => element.name === 'testsuite')).toHaveLength(1);
    expect(elements.filter((element) => element.name === 'testcase')).toHaveLength(4);
    expect(elements.map((element) => element.name)).toEqual(
      expect.arrayContaining(['failure', 'error', 'skipped', 'properties', 'property']),
    );
  });

  it('puts the field-level diff in the failure and names the file and line', () => {
    const failure = checkWellFormed(xml).find((element) => element.name === 'failure');
    expect(failure?.attributes.message).toBe(
      '3 differences between old and new, 1 unmet expectation',
    );
    expect(failure?.text).toContain('- $.likeCount: 1 → (absent)  [missing]');
    expect(failure?.text).toContain('! new side: expected status 200, got 500');
    expect(xml).toContain('file="contracts/cards/get-card.yaml" line="3"');
  });

  it('escapes markup, quotes and ampersands, and drops what XML cannot hold', () => {
    expect(xml).toContain(
      'name="fails a &lt;b&gt; &amp; &quot;c&quot; &apos;d&apos; \ufffd red \ufffd ]]&gt; end"',
    );
    expect(xml).not.toContain('\u001b');
    expect(xml).toContain('value="http://old.test/?a=1&amp;b=2"');
    expect(text('x]]>y')).toBe('x]]&gt;y');
    expect(attribute('line\nnext\ttab')).toBe('line&#10;next&#9;tab');
  });
});
