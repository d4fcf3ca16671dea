import { loadSearchServiceConfig, resolveSearchDatabaseUrl } from './search-service.config.js';

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

describe('resolveSearchDatabaseUrl (the service, the migration command and the TypeORM CLI)', () => {
  const databaseUrl = 'postgres://u:p@127.0.0.1:5432/search';
  const other = 'postgresql://x@db/other';

  it('prefers SEARCH_DATABASE_URL and counts an empty variable as unset', () => {
    expect(
      resolveSearchDatabaseUrl({ SEARCH_DATABASE_URL: databaseUrl, DATABASE_URL: other }),
    ).toBe(databaseUrl);
    expect(resolveSearchDatabaseUrl({ SEARCH_DATABASE_URL: '', DATABASE_URL: other })).toBe(other);
    expect(resolveSearchDatabaseUrl({ SEARCH_DATABASE_URL: databaseUrl, DATABASE_URL: '' })).toBe(
      databaseUrl,
    );
  });

  it("needs only the database variables (PORT is the service's business)", () => {
    expect(resolveSearchDatabaseUrl({ SEARCH_DATABASE_URL: databaseUrl, PORT: 'eighty' })).toBe(
      databaseUrl,
    );
  });

  it.each([
    [{ SEARCH_DATABASE_URL: '', DATABASE_URL: '' }, /SEARCH_DATABASE_URL is required/],
    [{ SEARCH_DATABASE_URL: 'not a url', DATABASE_URL: other }, /SEARCH_DATABASE_URL must be/],
  ])('fails naming the variable (%j)', (env, message) => {
    expect(() => resolveSearchDatabaseUrl(env)).toThrow(message);
  });
});
