import { Controller, Get, UseGuards } from '@nestjs/common';
import { AuthGuard } from '../auth/auth.guard.js';
import { CurrentUser } from '../auth/current-user.decorator.js';
import { User } from '../users/user.entity.js';
import { NotificationsService, type NotificationsView } from './notifications.service.js';

@Controller('notifications')
export class NotificationsController {
  constructor(private readonly notifications: NotificationsService) {}

  /** The caller's notifications of new cards by people they follow: count and newest 20. */
  @Get()
  @UseGuards(AuthGuard)
  list(@CurrentUser() user: User): Promise<NotificationsView> {
    return this.notifications.forUser(user);
  }
}
