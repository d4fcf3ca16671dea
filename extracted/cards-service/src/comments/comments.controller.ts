import {
  Body,
  Controller,
  Get,
  Param,
  ParseUUIDPipe,
  Post,
  Query,
  UseGuards,
} from '@nestjs/common';
import { AuthGuard } from '../auth/auth.guard.js';
import { AuthenticatedAuthor } from '../auth/authenticated-author.js';
import { Author } from '../authors/author.entity.js';
import { PaginationQueryDto } from '../cards/dto/pagination-query.dto.js';
import { Paginated } from '../cards/views/paginated.view.js';
import { CommentView } from './comment.view.js';
import { CommentsService } from './comments.service.js';
import { CreateCommentDto } from './create-comment.dto.js';

@Controller('cards/:id/comments')
export class CommentsController {
  constructor(private readonly comments: CommentsService) {}

  /** Oldest first; 404 when the card is missing or hidden. */
  @Get()
  list(
    @Param('id', ParseUUIDPipe) cardId: string,
    @Query() query: PaginationQueryDto,
  ): Promise<Paginated<CommentView>> {
    return this.comments.list(cardId, query);
  }

  /** 201 with the new comment's view. */
  @Post()
  @UseGuards(AuthGuard)
  create(
    @Param('id', ParseUUIDPipe) cardId: string,
    @Body() dto: CreateCommentDto,
    @AuthenticatedAuthor() author: Author,
  ): Promise<CommentView> {
    return this.comments.create(author, cardId, dto);
  }
}
