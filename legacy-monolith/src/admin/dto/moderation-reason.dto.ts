import { IsString, Length } from 'class-validator';

/** Body of hide and ban: why (kept in the moderation log). */
export class ModerationReasonDto {
  @IsString()
  @Length(1, 500)
  reason!: string;
}
