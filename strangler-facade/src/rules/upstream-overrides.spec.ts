import { compileRules } from './compile-rules.js';
import { loadRules } from './load-rules.js';
import { overrideWarning, upstreamOverrides } from './upstream-overrides.js';

const FILE = [
  'version: 1',
  'upstreams:',
  '  legacy: { url: "http://127.0.0.1:3001" }',
  '  cards-service: { url: "http://127.0.0.1:3002/" }',
  'default: { upstream: legacy }',
].join('\n');

function tableWith(env: Record<string, string>) {
  const loaded = loadRules(FILE, 'routes.yaml');
  if (!loaded.ok) throw new Error(loaded.errors.join('\n'));
  const compiled = compileRules(loaded.config, env);
  if (!compiled.ok) throw new Error(compiled.errors.join('\n'));
  return compiled.table;
}

describe('upstreamOverrides', () => {
  it('lists the upstreams whose file URL the environment replaces with another one', () => {
    const overrides = upstreamOverrides(
      tableWith({
        STRANGLER_UPSTREAM_CARDS_SERVICE_URL: 'http://10.0.0.5:3002',
        STRANGLER_UPSTREAM_LEGACY_URL: 'http://127.0.0.1:3001/', // the same origin
      }),
    );
    expect(overrides).toEqual([
      {
        upstream: 'cards-service',
        envVar: 'STRANGLER_UPSTREAM_CARDS_SERVICE_URL',
        url: 'http://10.0.0.5:3002',
        fileUrl: 'http://127.0.0.1:3002/',
      },
    ]);
    expect(overrideWarning(overrides[0], 'routes.yaml')).toBe(
      'upstream "cards-service": STRANGLER_UPSTREAM_CARDS_SERVICE_URL=http://10.0.0.5:3002 ' +
        "overrides routes.yaml's url http://127.0.0.1:3002/ (edits of that url take effect " +
        'once the variable is unset)',
    );
  });

  it('is empty without overrides', () => {
    expect(upstreamOverrides(tableWith({}))).toEqual([]);
  });
});
