import { AuthorView, toAuthorView } from '../cards/views/card.view.js';

/** `CommentView` of the contract, in its key order. */
export interface CommentView {
  id: string;
  cardId: string;
  author: AuthorView;
  body: string;
  createdAt: string;
}

export function toCommentView(comment: {
  id: string;
  cardId: string;
  author: { id: string; handle: string; displayName: string };
  body: string;
  createdAt: Date;
}): CommentView {
  return {
    id: comment.id,
    cardId: comment.cardId,
    author: toAuthorView(comment.author),
    body: comment.body,
    createdAt: comment.createdAt.toISOString(),
  };
}
