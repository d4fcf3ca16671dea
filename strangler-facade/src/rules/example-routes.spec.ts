/**
 * Guards the promise the example routes.yaml makes to a newcomer: it is valid, everything goes to
 * legacy, and changing ONE marked line moves `GET /cards/:id` (and only it) to cards-service.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { compileRules } from './compile-rules.js';
import { loadRules } from './load-rules.js';
import { matchRule } from './match-rule.js';

const EXAMPLE = readFileSync(path.join(import.meta.dirname, '../../../routes.yaml'), 'utf8');

function tableOf(text: string) {
  const loaded = loadRules(text, 'routes.yaml');
  if (!loaded.ok) throw new Error(loaded.errors.join('\n'));
  const compiled = compileRules(loaded.config);
  if (!compiled.ok) throw new Error(compiled.errors.join('\n'));
  return compiled.table;
}

const routes = (text: string) => {
  const table = tableOf(text);
  return Object.fromEntries(
    [
      ['GET', '/cards/123'],
      ['HEAD', '/cards/123'],
      ['PATCH', '/cards/123'],
      ['GET', '/cards'],
      ['POST', '/cards'],
      ['GET', '/cards/123/comments'],
      ['GET', '/feed'],
    ].map(([method, url]) => [`${method} ${url}`, matchRule(table, method, url).upstream.name]),
  );
};

describe('the example routes.yaml', () => {
  it('is valid and sends everything to legacy', () => {
    expect(new Set(Object.values(routes(EXAMPLE)))).toEqual(new Set(['legacy']));
    const table = tableOf(EXAMPLE);
    expect(table.upstreams.map((upstream) => [upstream.name, upstream.origin])).toEqual([
      ['legacy', 'http://127.0.0.1:3001'],
      ['cards-service', 'http://127.0.0.1:3002'],
      ['search-service', 'http://127.0.0.1:3003'],
    ]);
  });

  it('has exactly one marked line, and flipping it moves only GET /cards/:id', () => {
    const lines = EXAMPLE.split('\n');
    const marked = lines.flatMap((line, index) => (line.includes('← flip') ? [index] : []));
    expect(marked).toHaveLength(1);
    const flipped = [...lines];
    flipped[marked[0]] = lines[marked[0]].replace('upstream: legacy', 'upstream: cards-service');
    expect(flipped[marked[0]]).not.toBe(lines[marked[0]]);

    expect(routes(flipped.join('\n'))).toEqual({
      'GET /cards/123': 'cards-service',
      'HEAD /cards/123': 'cards-service',
      'PATCH /cards/123': 'legacy',
      'GET /cards': 'legacy',
      'POST /cards': 'legacy',
      'GET /cards/123/comments': 'legacy',
      'GET /feed': 'legacy',
    });
  });
});
