import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { PaginationQueryDto } from '../../common/pagination-query.dto.js';

/** Query of `GET /feed/popular`: pagination plus the window in days (default 7). */
export class PopularFeedQueryDto extends PaginationQueryDto {
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(3650)
  @IsOptional()
  days?: number;
}
