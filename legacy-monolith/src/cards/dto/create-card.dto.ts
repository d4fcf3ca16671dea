import { ArrayMaxSize, IsArray, IsOptional, IsString, Length } from 'class-validator';

/** Body of `POST /cards` (decorator order is part of the contract: it orders the messages). */
export class CreateCardDto {
  @IsString()
  @Length(1, 200)
  title!: string;

  @IsString()
  @Length(1, 10000)
  body!: string;

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10)
  @IsString({ each: true })
  @Length(1, 40, { each: true })
  tags?: string[];
}
