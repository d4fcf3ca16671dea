import { sortTagNames } from '../tag-names.js';

/** The author block of `CardView` and `CommentView`, in the contract's key order. */
export interface AuthorView {
  id: string;
  handle: string;
  displayName: string;
}

/** `CardView` of the contract; key order matters (the contract tests compare bytes). */
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

/** One card row as the read query returns it. */
export interface CardViewRow {
  id: string;
  title: string;
  body: string;
  authorId: string;
  authorHandle: string;
  authorDisplayName: string;
  tags: string[] | null;
  likeCount: number | string;
  commentCount: number | string;
  createdAt: Date;
  updatedAt: Date;
}

export function toAuthorView(author: {
  id: string;
  handle: string;
  displayName: string;
}): AuthorView {
  return { id: author.id, handle: author.handle, displayName: author.displayName };
}

export function toCardView(row: CardViewRow): CardView {
  return {
    id: row.id,
    title: row.title,
    body: row.body,
    author: toAuthorView({
      id: row.authorId,
      handle: row.authorHandle,
      displayName: row.authorDisplayName,
    }),
    tags: sortTagNames(row.tags ?? []),
    likeCount: Number(row.likeCount),
    commentCount: Number(row.commentCount),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
