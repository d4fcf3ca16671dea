import { IsOptional, IsString, IsUUID, Length } from 'class-validator';
import { PaginationQueryDto } from '../../common/pagination-query.dto.js';

/** Query of `GET /cards`: pagination plus optional author and tag filters. */
export class ListCardsQueryDto extends PaginationQueryDto {
  @IsUUID()
  @IsOptional()
  authorId?: string;

  @IsString()
  @Length(1, 40)
  @IsOptional()
  tag?: string;
}
