import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Patch,
  Post,
  Query,
  UseGuards,
} from '@nestjs/common';
import { AuthGuard } from '../auth/auth.guard.js';
import { AuthenticatedAuthor } from '../auth/authenticated-author.js';
import { Author } from '../authors/author.entity.js';
import { CardsService } from './cards.service.js';
import { CreateCardDto } from './dto/create-card.dto.js';
import { ListCardsQueryDto } from './dto/list-cards-query.dto.js';
import { UpdateCardDto } from './dto/update-card.dto.js';
import { CardView } from './views/card.view.js';
import { Paginated } from './views/paginated.view.js';

@Controller('cards')
export class CardsController {
  constructor(private readonly cards: CardsService) {}

  /** Published cards, newest first; filter by `authorId` and/or `tag`. */
  @Get()
  list(@Query() query: ListCardsQueryDto): Promise<Paginated<CardView>> {
    return this.cards.list(query);
  }

  /** One published card; 404 when missing or hidden. */
  @Get(':id')
  get(@Param('id', ParseUUIDPipe) id: string): Promise<CardView> {
    return this.cards.get(id);
  }

  /** 201 with the new card's view. */
  @Post()
  @UseGuards(AuthGuard)
  create(@Body() dto: CreateCardDto, @AuthenticatedAuthor() author: Author): Promise<CardView> {
    return this.cards.create(author, dto);
  }

  /** Author only (403 otherwise); `tags` replaces the set. */
  @Patch(':id')
  @UseGuards(AuthGuard)
  update(
    @Param('id', ParseUUIDPipe) id: string,
    @Body() dto: UpdateCardDto,
    @AuthenticatedAuthor() author: Author,
  ): Promise<CardView> {
    return this.cards.update(author, id, dto);
  }

  /** Author only; 204 and the card's comments, likes and tag links go with it. */
  @Delete(':id')
  @HttpCode(204)
  @UseGuards(AuthGuard)
  remove(
    @Param('id', ParseUUIDPipe) id: string,
    @AuthenticatedAuthor() author: Author,
  ): Promise<void> {
    return this.cards.remove(author, id);
  }
}
