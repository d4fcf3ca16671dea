import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthGuard } from '../auth/auth.guard.js';
import { Author } from '../authors/author.entity.js';
import { CommentsController } from '../comments/comments.controller.js';
import { CommentsService } from '../comments/comments.service.js';
import { CardsEventsModule } from '../events/cards-events.module.js';
import { LikesController } from '../likes/likes.controller.js';
import { LikesService } from '../likes/likes.service.js';
import { CardViewsQuery } from './card-views.query.js';
import { CardsController } from './cards.controller.js';
import { CardsService } from './cards.service.js';

/** The public cards API: cards, their comments and likes. */
@Module({
  imports: [TypeOrmModule.forFeature([Author]), CardsEventsModule],
  controllers: [CardsController, CommentsController, LikesController],
  providers: [AuthGuard, CardsService, CardViewsQuery, CommentsService, LikesService],
})
export class CardsModule {}
