import { IsOptional, IsString, IsUUID, Length } from 'class-validator';
import { PaginationQueryDto } from './pagination-query.dto.js';

export class ListCardsQueryDto extends PaginationQueryDto {
  @IsUUID()
  @IsOptional()
  authorId?: string;

  @IsString()
  @Length(1, 40)
  @IsOptional()
  tag?: string;
}
