import { Controller, Delete, HttpCode, Param, ParseUUIDPipe, Put, UseGuards } from '@nestjs/common';
import { AuthGuard } from '../auth/auth.guard.js';
import { AuthenticatedAuthor } from '../auth/authenticated-author.js';
import { Author } from '../authors/author.entity.js';
import { LikesService } from './likes.service.js';

@Controller('cards/:id/like')
@UseGuards(AuthGuard)
export class LikesController {
  constructor(private readonly likes: LikesService) {}

  /** 204; liking twice is the same as once. */
  @Put()
  @HttpCode(204)
  like(
    @Param('id', ParseUUIDPipe) cardId: string,
    @AuthenticatedAuthor() author: Author,
  ): Promise<void> {
    return this.likes.like(author, cardId);
  }

  /** 204; unliking a card you did not like is fine. */
  @Delete()
  @HttpCode(204)
  unlike(
    @Param('id', ParseUUIDPipe) cardId: string,
    @AuthenticatedAuthor() author: Author,
  ): Promise<void> {
    return this.likes.unlike(author, cardId);
  }
}
