import { IsString, Length } from 'class-validator';

/** Body of `POST /cards/:id/comments`. */
export class CreateCommentDto {
  @IsString()
  @Length(1, 2000)
  body!: string;
}
