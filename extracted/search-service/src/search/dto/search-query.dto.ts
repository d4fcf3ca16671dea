import { IsNotEmpty, IsString, MaxLength } from 'class-validator';
import { PaginationQueryDto } from './pagination-query.dto.js';

/** Query of `GET /search`: web-search syntax (`word`, `"a phrase"`, `-not`, `or`). */
export class SearchQueryDto extends PaginationQueryDto {
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  q!: string;
}
