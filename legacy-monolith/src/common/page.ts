import { PaginationQueryDto } from './pagination-query.dto.js';

/** A paginated response, keys in contract order. */
export interface Page<T> {
  items: T[];
  page: number;
  pageSize: number;
  total: number;
}

/** Resolved page window: defaults applied, `offset` ready for SQL. */
export interface PageWindow {
  page: number;
  pageSize: number;
  offset: number;
}

export const DEFAULT_PAGE_SIZE = 20;

export function pageWindow(query: PaginationQueryDto): PageWindow {
  const page = query.page ?? 1;
  const pageSize = query.pageSize ?? DEFAULT_PAGE_SIZE;
  return { page, pageSize, offset: (page - 1) * pageSize };
}

export function toPage<T>(items: T[], window: PageWindow, total: number): Page<T> {
  return { items, page: window.page, pageSize: window.pageSize, total };
}
