import {
  DEFAULT_AUTH_TOKEN_SECRET,
  InvalidEnvironmentError,
  loadLegacyConfig,
} from './legacy-config.js';

describe('loadLegacyConfig', () => {
  const url = 'postgres://u:p@localhost:5432/legacy';

  it('applies defaults', () => {
    expect(loadLegacyConfig({ DATABASE_URL: url })).toEqual({
      databaseUrl: url,
      port: 3001,
      authTokenSecret: DEFAULT_AUTH_TOKEN_SECRET,
    });
  });

  it('reads every variable', () => {
    expect(
      loadLegacyConfig({ DATABASE_URL: url, PORT: '4000', AUTH_TOKEN_SECRET: 'a-longer-secret' }),
    ).toEqual({ databaseUrl: url, port: 4000, authTokenSecret: 'a-longer-secret' });
  });

  it('reads where to listen for card events, refusing anything but tcp://host:port', () => {
    expect(
      loadLegacyConfig({ DATABASE_URL: url, CARDS_EVENTS_TCP_URL: 'tcp://127.0.0.1:3012' })
        .cardEvents,
    ).toEqual({ host: '127.0.0.1', port: 3012 });
    expect(() =>
      loadLegacyConfig({ DATABASE_URL: url, CARDS_EVENTS_TCP_URL: 'http://x:1' }),
    ).toThrow(/CARDS_EVENTS_TCP_URL must look like tcp:\/\/host:port/);
  });

  it('treats empty strings as unset', () => {
    expect(loadLegacyConfig({ DATABASE_URL: url, PORT: '' }).port).toBe(3001);
  });

  it('fails naming a missing DATABASE_URL', () => {
    expect(() => loadLegacyConfig({})).toThrow(InvalidEnvironmentError);
    expect(() => loadLegacyConfig({})).toThrow(/DATABASE_URL is required/);
  });

  it('fails naming a bad PORT', () => {
    expect(() => loadLegacyConfig({ DATABASE_URL: url, PORT: 'eighty' })).toThrow(
      /PORT must be a number/,
    );
    expect(() => loadLegacyConfig({ DATABASE_URL: url, PORT: '70000' })).toThrow(
      /PORT must be between 1 and 65535/,
    );
  });

  it('fails on a URL that is not PostgreSQL', () => {
    expect(() => loadLegacyConfig({ DATABASE_URL: 'mysql://x' })).toThrow(
      /DATABASE_URL must be a postgres/,
    );
  });
});
