import { ArrayMaxSize, IsArray, IsOptional, IsString, Length } from 'class-validator';

/** Body of `PATCH /cards/:id`: any subset of the fields; `tags` replaces the whole set. */
export class UpdateCardDto {
  @IsOptional()
  @IsString()
  @Length(1, 200)
  title?: string;

  @IsOptional()
  @IsString()
  @Length(1, 10000)
  body?: string;

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10)
  @IsString({ each: true })
  @Length(1, 40, { each: true })
  tags?: string[];
}
