import { IsOptional, IsString, Length } from 'class-validator';

/** Body of unhide and unban: an optional note for the moderation log. */
export class OptionalReasonDto {
  @IsOptional()
  @IsString()
  @Length(1, 500)
  reason?: string;
}
