import { toCommentView } from '../../comments/comment.view.js';
import { toCardView } from './card.view.js';
import { paginated } from './paginated.view.js';

describe('views', () => {
  const createdAt = new Date('2026-01-02T03:04:05.678Z');
  const updatedAt = new Date('2026-02-03T04:05:06.789Z');

  it('maps a card row to CardView with the contract key order', () => {
    const view = toCardView({
      updatedAt,
      createdAt,
      commentCount: '3',
      likeCount: 2,
      tags: ['nest', 'api'],
      authorDisplayName: 'Ada L.',
      authorHandle: 'ada',
      authorId: 'a1',
      body: 'Body',
      title: 'Title',
      id: 'c1',
    });
    expect(JSON.stringify(view)).toBe(
      JSON.stringify({
        id: 'c1',
        title: 'Title',
        body: 'Body',
        author: { id: 'a1', handle: 'ada', displayName: 'Ada L.' },
        tags: ['api', 'nest'],
        likeCount: 2,
        commentCount: 3,
        createdAt: '2026-01-02T03:04:05.678Z',
        updatedAt: '2026-02-03T04:05:06.789Z',
      }),
    );
  });

  it('gives a card without tags an empty list', () => {
    const view = toCardView({
      id: 'c1',
      title: 't',
      body: 'b',
      authorId: 'a1',
      authorHandle: 'h',
      authorDisplayName: 'd',
      tags: null,
      likeCount: 0,
      commentCount: 0,
      createdAt,
      updatedAt,
    });
    expect(view.tags).toEqual([]);
  });

  it('maps a comment to CommentView with the contract key order', () => {
    const view = toCommentView({
      body: 'Nice',
      createdAt,
      author: { displayName: 'Ada', handle: 'ada', id: 'a1' },
      cardId: 'c1',
      id: 'm1',
    });
    expect(JSON.stringify(view)).toBe(
      '{"id":"m1","cardId":"c1","author":{"id":"a1","handle":"ada","displayName":"Ada"},"body":"Nice","createdAt":"2026-01-02T03:04:05.678Z"}',
    );
  });

  it('orders a page as items, page, pageSize, total', () => {
    expect(Object.keys(paginated([], 2, 10, 11))).toEqual(['items', 'page', 'pageSize', 'total']);
  });
});
