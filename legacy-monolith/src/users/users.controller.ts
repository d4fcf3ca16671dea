import {
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Param,
  ParseUUIDPipe,
  Put,
  UseGuards,
} from '@nestjs/common';
import { AuthGuard } from '../auth/auth.guard.js';
import { CurrentUser } from '../auth/current-user.decorator.js';
import type { UserProfile } from './user-profile.type.js';
import { User } from './user.entity.js';
import { UsersService } from './users.service.js';

@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  /** A public profile with follower, following and card counts; 404 when missing. */
  @Get(':id')
  profile(@Param('id', ParseUUIDPipe) id: string): Promise<UserProfile> {
    return this.users.profile(id);
  }

  /** The caller follows the user (idempotent; 400 for oneself). */
  @Put(':id/follow')
  @UseGuards(AuthGuard)
  @HttpCode(HttpStatus.NO_CONTENT)
  follow(@CurrentUser() user: User, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    return this.users.follow(user, id);
  }

  /** The caller stops following the user (idempotent). */
  @Delete(':id/follow')
  @UseGuards(AuthGuard)
  @HttpCode(HttpStatus.NO_CONTENT)
  unfollow(@CurrentUser() user: User, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    return this.users.unfollow(user, id);
  }
}
