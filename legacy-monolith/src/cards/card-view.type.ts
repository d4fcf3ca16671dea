/** The public author summary inside cards and comments. */
export interface AuthorView {
  id: string;
  handle: string;
  displayName: string;
}

/** A card as the public API shows it (contract key order). */
export interface CardView {
  id: string;
  title: string;
  body: string;
  author: AuthorView;
  tags: string[];
  likeCount: number;
  commentCount: number;
  createdAt: string;
  updatedAt: string;
}

/** A comment as the public API shows it (contract key order). */
export interface CommentView {
  id: string;
  cardId: string;
  author: AuthorView;
  body: string;
  createdAt: string;
}
