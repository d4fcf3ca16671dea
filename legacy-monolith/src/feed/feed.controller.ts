import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { AuthGuard } from '../auth/auth.guard.js';
import { CurrentUser } from '../auth/current-user.decorator.js';
import type { CardView } from '../cards/card-view.type.js';
import { Page } from '../common/page.js';
import { PaginationQueryDto } from '../common/pagination-query.dto.js';
import { User } from '../users/user.entity.js';
import { PopularFeedQueryDto } from './dto/popular-feed-query.dto.js';
import { FeedService } from './feed.service.js';

@Controller('feed')
export class FeedController {
  constructor(private readonly feed: FeedService) {}

  /** Cards by the people the caller follows, newest first. */
  @Get()
  @UseGuards(AuthGuard)
  following(
    @CurrentUser() user: User,
    @Query() query: PaginationQueryDto,
  ): Promise<Page<CardView>> {
    return this.feed.following(user, query);
  }

  /** The most-liked published cards of the last `days` days (default 7); no auth. */
  @Get('popular')
  popular(@Query() query: PopularFeedQueryDto): Promise<Page<CardView>> {
    return this.feed.popular(query);
  }
}
