import {
  Body,
  Controller,
  Get,
  HttpCode,
  HttpStatus,
  Param,
  ParseUUIDPipe,
  Post,
  Query,
  UseGuards,
} from '@nestjs/common';
import { AdminGuard } from '../auth/admin.guard.js';
import { AuthGuard } from '../auth/auth.guard.js';
import { CurrentUser } from '../auth/current-user.decorator.js';
import { Page } from '../common/page.js';
import { PaginationQueryDto } from '../common/pagination-query.dto.js';
import { User } from '../users/user.entity.js';
import type { AdminStats, ModerationActionView } from './admin-views.type.js';
import { AdminService } from './admin.service.js';
import { ModerationReasonDto } from './dto/moderation-reason.dto.js';
import { OptionalReasonDto } from './dto/optional-reason.dto.js';

/** Moderation and statistics; every route needs a token of a user with role `admin`. */
@Controller('admin')
@UseGuards(AuthGuard, AdminGuard)
export class AdminController {
  constructor(private readonly admin: AdminService) {}

  /** Hides a card from the public API; returns the moderation log entry. */
  @Post('cards/:id/hide')
  @HttpCode(HttpStatus.OK)
  hideCard(
    @CurrentUser() actor: User,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() dto: ModerationReasonDto,
  ): Promise<ModerationActionView> {
    return this.admin.hideCard(actor, id, dto.reason);
  }

  /** Publishes a hidden card again. */
  @Post('cards/:id/unhide')
  @HttpCode(HttpStatus.OK)
  unhideCard(
    @CurrentUser() actor: User,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() dto: OptionalReasonDto,
  ): Promise<ModerationActionView> {
    return this.admin.unhideCard(actor, id, dto.reason);
  }

  /** Bans a user: their token then gets 403 on every authenticated route. */
  @Post('users/:id/ban')
  @HttpCode(HttpStatus.OK)
  banUser(
    @CurrentUser() actor: User,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() dto: ModerationReasonDto,
  ): Promise<ModerationActionView> {
    return this.admin.banUser(actor, id, dto.reason);
  }

  /** Lifts a ban. */
  @Post('users/:id/unban')
  @HttpCode(HttpStatus.OK)
  unbanUser(
    @CurrentUser() actor: User,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() dto: OptionalReasonDto,
  ): Promise<ModerationActionView> {
    return this.admin.unbanUser(actor, id, dto.reason);
  }

  /** Row counts across the database. */
  @Get('stats')
  stats(): Promise<AdminStats> {
    return this.admin.stats();
  }

  /** The moderation log, newest first. */
  @Get('moderation-log')
  moderationLog(@Query() query: PaginationQueryDto): Promise<Page<ModerationActionView>> {
    return this.admin.moderationLog(query);
  }
}
