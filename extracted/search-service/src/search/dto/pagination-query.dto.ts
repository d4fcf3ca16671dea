// A deliberate copy of cards-service's PaginationQueryDto (services share no code: docs/decisions.md §11).
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

/** Deeper pages than this are refused with 400 (an OFFSET past it would overflow in SQL). */
const MAX_PAGE = 1_000_000;

/**
 * `?page=&pageSize=` (1-based pages, at most 100 items). Decorators in legacy's order: the 400
 * messages come out in that order and the contract compares them.
 */
export class PaginationQueryDto {
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE)
  @IsOptional()
  page: number = 1;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  @IsOptional()
  pageSize: number = 20;
}
