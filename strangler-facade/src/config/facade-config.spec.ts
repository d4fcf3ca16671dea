import { facadeConfigFromEnv } from './facade-config.js';

describe('facadeConfigFromEnv', () => {
  it('has documented defaults', () => {
    expect(facadeConfigFromEnv({})).toEqual({
      host: '127.0.0.1',
      port: 8080,
      adminPort: 8081,
      routesFile: './routes.yaml',
      routeHeaders: true,
      connectTimeoutMs: 2000,
      headersTimeoutMs: 30000,
      bodyTimeoutMs: 60000,
      reloadDebounceMs: 100,
      reloadPollMs: 500,
      reloadSettleMs: 300,
      logLevel: 'info',
      accessLog: true,
    });
  });

  it('reads overrides and treats empty values as unset', () => {
    const config = facadeConfigFromEnv({
      STRANGLER_PORT: '9000',
      STRANGLER_ADMIN_PORT: '0',
      STRANGLER_HOST: '0.0.0.0',
      STRANGLER_ROUTES_FILE: '/etc/strangler/routes.yaml',
      STRANGLER_ROUTE_HEADERS: 'off',
      STRANGLER_CONNECT_TIMEOUT_MS: '',
    });
    expect(config).toMatchObject({
      port: 9000,
      adminPort: 0,
      host: '0.0.0.0',
      routesFile: '/etc/strangler/routes.yaml',
      routeHeaders: false,
      connectTimeoutMs: 2000,
    });
  });

  it('fails fast naming the variable', () => {
    expect(() => facadeConfigFromEnv({ STRANGLER_PORT: 'eighty' })).toThrow(
      /STRANGLER_PORT="eighty"/,
    );
    expect(() => facadeConfigFromEnv({ STRANGLER_ROUTE_HEADERS: 'maybe' })).toThrow(
      /STRANGLER_ROUTE_HEADERS/,
    );
    expect(() => facadeConfigFromEnv({ STRANGLER_ADMIN_PORT: '70000' })).toThrow(
      /STRANGLER_ADMIN_PORT/,
    );
  });
});
