import { loadCardsServiceConfig } from './cards-service.config.js';

describe('loadCardsServiceConfig', () => {
  const databaseUrl = 'postgres://u:p@127.0.0.1:5432/cards';

  it('applies the defaults', () => {
    expect(loadCardsServiceConfig({ DATABASE_URL: databaseUrl })).toEqual({
      databaseUrl,
      port: 3002,
      authTokenSecret: 'strangler-example-secret',
      events: { kind: 'tcp', host: '127.0.0.1', port: 3012 },
    });
  });

  it('reads every variable', () => {
    const config = loadCardsServiceConfig({
      DATABASE_URL: databaseUrl,
      PORT: '4000',
      AUTH_TOKEN_SECRET: 's3cret',
      CARDS_EVENTS_TCP_URL: 'tcp://events.local:4012',
    });
    expect(config).toMatchObject({
      port: 4000,
      authTokenSecret: 's3cret',
      events: { kind: 'tcp', host: 'events.local', port: 4012 },
    });
  });

  it('publishes through NATS when NATS_URL is set', () => {
    const config = loadCardsServiceConfig({
      DATABASE_URL: databaseUrl,
      NATS_URL: 'nats://a:4222, nats://b:4222',
    });
    expect(config.events).toEqual({ kind: 'nats', servers: ['nats://a:4222', 'nats://b:4222'] });
  });

  it.each([
    [{}, /DATABASE_URL/],
    [{ DATABASE_URL: 'mysql://x/y' }, /DATABASE_URL must be a postgres/],
    [{ DATABASE_URL: databaseUrl, PORT: 'eighty' }, /PORT/],
    [{ DATABASE_URL: databaseUrl, PORT: '70000' }, /PORT/],
    [{ DATABASE_URL: databaseUrl, CARDS_EVENTS_TCP_URL: 'http://x:1' }, /CARDS_EVENTS_TCP_URL/],
  ])('fails fast naming the bad variable (%j)', (env, message) => {
    expect(() => loadCardsServiceConfig(env)).toThrow(message);
  });
});
