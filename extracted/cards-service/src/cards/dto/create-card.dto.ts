import { ArrayMaxSize, IsArray, IsOptional, IsString, Length } from 'class-validator';

export class CreateCardDto {
  @IsString()
  @Length(1, 200)
  title!: string;

  @IsString()
  @Length(1, 10000)
  body!: string;

  /** Lower-cased and trimmed; duplicates collapse. */
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10)
  @IsString({ each: true })
  @Length(1, 40, { each: true })
  tags?: string[];
}
