import { compileRules, upstreamEnvVar } from './compile-rules.js';
import { routesFileSchema } from './rule-schema.js';

const config = routesFileSchema.parse({
  version: 1,
  settings: { trustedProxies: ['10.0.0.0/8', '::1'] },
  upstreams: {
    legacy: { url: 'http://127.0.0.1:3001/' },
    'cards-service': { url: 'http://127.0.0.1:3002' },
  },
  rules: [
    {
      name: 'cards-get-by-id',
      match: { methods: ['get'], path: '/cards/:id' },
      upstream: 'cards-service',
    },
    { name: 'cards', match: { prefix: '/cards' }, upstream: 'legacy' },
  ],
  default: { upstream: 'legacy' },
});

function compiled(env: Record<string, string> = {}) {
  const result = compileRules(config, env);
  if (!result.ok) throw new Error(result.errors.join('\n'));
  return result.table;
}

describe('compileRules', () => {
  it('keeps rule order and links each rule to its compiled upstream', () => {
    const table = compiled();
    expect(table.rules.map((rule) => [rule.name, rule.index, rule.upstream.name])).toEqual([
      ['cards-get-by-id', 0, 'cards-service'],
      ['cards', 1, 'legacy'],
    ]);
    expect(table.defaultRule).toMatchObject({ name: 'default', upstream: table.upstreams[0] });
    expect(table.upstreams.map((upstream) => upstream.origin)).toEqual([
      'http://127.0.0.1:3001',
      'http://127.0.0.1:3002',
    ]);
  });

  it('upper-cases methods and lets GET cover HEAD', () => {
    expect([...(compiled().rules[0]?.methods ?? [])]).toEqual(['GET', 'HEAD']);
    expect(compiled().rules[1]?.methods).toBeNull();
  });

  it('produces a frozen table', () => {
    const table = compiled();
    expect(Object.isFrozen(table)).toBe(true);
    expect(Object.isFrozen(table.rules)).toBe(true);
    expect(Object.isFrozen(table.rules[0])).toBe(true);
    expect(Object.isFrozen(table.settings)).toBe(true);
  });

  it('applies STRANGLER_UPSTREAM_<NAME>_URL overrides', () => {
    expect(upstreamEnvVar('cards-service')).toBe('STRANGLER_UPSTREAM_CARDS_SERVICE_URL');
    const table = compiled({ STRANGLER_UPSTREAM_CARDS_SERVICE_URL: 'http://10.1.2.3:9000' });
    expect(table.upstreams[1]).toMatchObject({ origin: 'http://10.1.2.3:9000', source: 'env' });
    expect(table.rules[0]?.upstream.origin).toBe('http://10.1.2.3:9000');
    expect(compiled({ STRANGLER_UPSTREAM_CARDS_SERVICE_URL: '' }).upstreams[1]?.source).toBe(
      'file',
    );
  });

  it('refuses an invalid override, naming the variable', () => {
    const result = compileRules(config, { STRANGLER_UPSTREAM_LEGACY_URL: 'localhost:3001' });
    expect(result).toEqual({
      ok: false,
      errors: ['STRANGLER_UPSTREAM_LEGACY_URL: URL "localhost:3001" must use http or https'],
    });
  });

  it('compiles trusted proxies into a block list', () => {
    const list = compiled().settings.trustedProxyList;
    expect(list?.check('10.9.8.7', 'ipv4')).toBe(true);
    expect(list?.check('11.0.0.1', 'ipv4')).toBe(false);
    expect(list?.check('::1', 'ipv6')).toBe(true);
    const none = compileRules({ ...config, settings: { ...config.settings, trustedProxies: [] } });
    expect(none.ok && none.table.settings.trustedProxyList).toBeNull();
  });
});
