import { toSearchHit, type SearchDocumentRow } from './search-hit.view.js';

describe('toSearchHit', () => {
  const row: SearchDocumentRow = {
    card_id: 'c1',
    title: 'Title',
    body: 'Body',
    author_id: 'a1',
    author_handle: 'ada',
    author_display_name: 'Ada',
    tags: ['zeta', 'Éclair', 'alpha', '\u{1F600}', '\uFF21'],
    like_count: 2,
    comment_count: 3,
    created_at: new Date('2026-01-02T03:04:05.678Z'),
    updated_at: new Date('2026-01-03T00:00:00.000Z'),
    rank: 0.6079271,
  };

  it('shapes a hit in the contract key order', () => {
    expect(JSON.stringify(toSearchHit(row))).toBe(
      JSON.stringify({
        card: {
          id: 'c1',
          title: 'Title',
          body: 'Body',
          author: { id: 'a1', handle: 'ada', displayName: 'Ada' },
          tags: ['alpha', 'zeta', 'Éclair', '\u{1F600}', '\uFF21'],
          likeCount: 2,
          commentCount: 3,
          createdAt: '2026-01-02T03:04:05.678Z',
          updatedAt: '2026-01-03T00:00:00.000Z',
        },
        rank: 0.6079271,
      }),
    );
  });

  it('sorts tags by UTF-16 code unit like legacy, not by code point', () => {
    // U+1F600 is a surrogate pair (0xD83D ...), so it sorts before U+FF21 by code unit.
    expect(toSearchHit(row).card.tags.slice(-2)).toEqual(['\u{1F600}', '\uFF21']);
    expect(row.tags).toEqual(['zeta', 'Éclair', 'alpha', '\u{1F600}', '\uFF21']);
  });
});
