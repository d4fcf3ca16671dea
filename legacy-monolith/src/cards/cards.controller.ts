import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Param,
  ParseUUIDPipe,
  Patch,
  Post,
  Put,
  Query,
  UseGuards,
} from '@nestjs/common';
import { AuthGuard } from '../auth/auth.guard.js';
import { CurrentUser } from '../auth/current-user.decorator.js';
import { Page } from '../common/page.js';
import { PaginationQueryDto } from '../common/pagination-query.dto.js';
import { User } from '../users/user.entity.js';
import type { CardView, CommentView } from './card-view.type.js';
import { CardsService } from './cards.service.js';
import { CreateCardDto } from './dto/create-card.dto.js';
import { CreateCommentDto } from './dto/create-comment.dto.js';
import { ListCardsQueryDto } from './dto/list-cards-query.dto.js';
import { UpdateCardDto } from './dto/update-card.dto.js';

/** The cards endpoints, exactly as docs/contracts/cards-api.md describes them. */
@Controller('cards')
export class CardsController {
  constructor(private readonly cards: CardsService) {}

  /** Published cards, newest first, optionally by one author or with one tag. */
  @Get()
  list(@Query() query: ListCardsQueryDto): Promise<Page<CardView>> {
    return this.cards.list(query);
  }

  /** One published card; 404 when missing or hidden. */
  @Get(':id')
  get(@Param('id', ParseUUIDPipe) id: string): Promise<CardView> {
    return this.cards.get(id);
  }

  /** Creates a card authored by the caller. */
  @Post()
  @UseGuards(AuthGuard)
  create(@CurrentUser() user: User, @Body() dto: CreateCardDto): Promise<CardView> {
    return this.cards.create(user, dto);
  }

  /** Changes title, body and/or the tag set; author only. */
  @Patch(':id')
  @UseGuards(AuthGuard)
  update(
    @CurrentUser() user: User,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() dto: UpdateCardDto,
  ): Promise<CardView> {
    return this.cards.update(user, id, dto);
  }

  /** Deletes the card with its comments, likes and tag links; author only. */
  @Delete(':id')
  @UseGuards(AuthGuard)
  @HttpCode(HttpStatus.NO_CONTENT)
  remove(@CurrentUser() user: User, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    return this.cards.remove(user, id);
  }

  /** Comments of a published card, oldest first. */
  @Get(':id/comments')
  listComments(
    @Param('id', ParseUUIDPipe) id: string,
    @Query() query: PaginationQueryDto,
  ): Promise<Page<CommentView>> {
    return this.cards.listComments(id, query);
  }

  /** Adds a comment by the caller. */
  @Post(':id/comments')
  @UseGuards(AuthGuard)
  addComment(
    @CurrentUser() user: User,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() dto: CreateCommentDto,
  ): Promise<CommentView> {
    return this.cards.addComment(user, id, dto);
  }

  /** The caller likes the card (idempotent). */
  @Put(':id/like')
  @UseGuards(AuthGuard)
  @HttpCode(HttpStatus.NO_CONTENT)
  like(@CurrentUser() user: User, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    return this.cards.like(user, id);
  }

  /** The caller no longer likes the card (idempotent). */
  @Delete(':id/like')
  @UseGuards(AuthGuard)
  @HttpCode(HttpStatus.NO_CONTENT)
  unlike(@CurrentUser() user: User, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    return this.cards.unlike(user, id);
  }
}
