import { exampleDatabaseUrls, missingDatabaseUrlVariables } from './example-databases.js';

describe("the example's database URLs", () => {
  it('default to the embedded PostgreSQL of npm start', () => {
    expect(exampleDatabaseUrls({})).toEqual({
      legacy: 'postgres://postgres:postgres@127.0.0.1:54320/legacy',
      cards: 'postgres://postgres:postgres@127.0.0.1:54320/cards',
      search: 'postgres://postgres:postgres@127.0.0.1:54320/search',
    });
    expect(exampleDatabaseUrls({ STRANGLER_PG_PORT: '6000' }).cards).toBe(
      'postgres://postgres:postgres@127.0.0.1:6000/cards',
    );
  });

  it('follow STRANGLER_PG_URL, and a *_DATABASE_URL given wins', () => {
    const urls = exampleDatabaseUrls({
      STRANGLER_PG_URL: 'postgres://me:secret@db.internal:5432/postgres?sslmode=require',
      CARDS_DATABASE_URL: 'postgres://x@elsewhere/cards_prod',
    });
    expect(urls).toEqual({
      legacy: 'postgres://me:secret@db.internal:5432/legacy',
      cards: 'postgres://x@elsewhere/cards_prod',
      search: 'postgres://me:secret@db.internal:5432/search',
    });
  });

  it('fill in only the variables that are not set', () => {
    expect(missingDatabaseUrlVariables({ LEGACY_DATABASE_URL: 'postgres://a/legacy' })).toEqual({
      CARDS_DATABASE_URL: 'postgres://postgres:postgres@127.0.0.1:54320/cards',
      SEARCH_DATABASE_URL: 'postgres://postgres:postgres@127.0.0.1:54320/search',
    });
  });
});
