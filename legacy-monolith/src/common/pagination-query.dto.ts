import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

/** Deeper pages than this are refused with 400 (an OFFSET past it would overflow in SQL). */
const MAX_PAGE = 1_000_000;

/** `?page=&pageSize=` of every paginated endpoint (1-based pages, at most 100 items). */
export class PaginationQueryDto {
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE)
  @IsOptional()
  page?: number;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  @IsOptional()
  pageSize?: number;
}
