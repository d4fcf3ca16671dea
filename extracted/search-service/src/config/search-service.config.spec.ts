import { loadSearchServiceConfig } from './search-service.config.js';

describe('loadSearchServiceConfig', () => {
  const databaseUrl = 'postgres://u:p@127.0.0.1:5432/search';

  it('applies the defaults', () => {
    expect(loadSearchServiceConfig({ SEARCH_DATABASE_URL: databaseUrl })).toEqual({
      databaseUrl,
      port: 3003,
    });
  });

  it('reads PORT', () => {
    expect(loadSearchServiceConfig({ SEARCH_DATABASE_URL: databaseUrl, PORT: '4003' })).toEqual({
      databaseUrl,
      port: 4003,
    });
  });

  it('takes DATABASE_URL when SEARCH_DATABASE_URL is not set, and prefers SEARCH_DATABASE_URL', () => {
    const other = 'postgresql://x@db/other';
    expect(loadSearchServiceConfig({ DATABASE_URL: other }).databaseUrl).toBe(other);
    expect(
      loadSearchServiceConfig({ SEARCH_DATABASE_URL: databaseUrl, DATABASE_URL: other })
        .databaseUrl,
    ).toBe(databaseUrl);
  });

  it.each([
    [{}, /SEARCH_DATABASE_URL is required/],
    [{ SEARCH_DATABASE_URL: '' }, /SEARCH_DATABASE_URL is required/],
    [{ SEARCH_DATABASE_URL: 'mysql://x/y' }, /SEARCH_DATABASE_URL must be a postgres/],
    [{ DATABASE_URL: 'not a url' }, /DATABASE_URL must be a postgres/],
    [{ SEARCH_DATABASE_URL: databaseUrl, PORT: 'eighty' }, /PORT/],
    [{ SEARCH_DATABASE_URL: databaseUrl, PORT: '70000' }, /PORT/],
  ])('fails fast naming the bad variable (%j)', (env, message) => {
    expect(() => loadSearchServiceConfig(env)).toThrow(message);
  });
});
