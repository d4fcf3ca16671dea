import {
  CanActivate,
  ExecutionContext,
  ForbiddenException,
  Inject,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { LegacyConfig } from '../config/legacy-config.js';
import { LEGACY_CONFIG } from '../config/legacy-config.constant.js';
import { User } from '../users/user.entity.js';
import { bearerToken, verifyAuthToken } from './auth-token.js';
import type { AuthenticatedRequest } from './authenticated-request.type.js';

/**
 * Checks `Authorization: Bearer <token>`, loads the user, and refuses banned users.
 * 401 for a missing/forged token or an unknown user; 403 for a banned one.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    @Inject(LEGACY_CONFIG) private readonly config: LegacyConfig,
    private readonly dataSource: DataSource,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const token = bearerToken(request.headers.authorization);
    const userId = token ? verifyAuthToken(token, this.config.authTokenSecret) : null;
    if (!userId || !isUuid(userId)) throw unauthorized();
    const user = await this.dataSource.getRepository(User).findOneBy({ id: userId });
    if (!user) throw unauthorized();
    if (user.bannedAt) throw new ForbiddenException('User is banned');
    request.user = user;
    return true;
  }
}

/**
 * 401 with the exact body the contract documents, `{"statusCode":401,"message":"Unauthorized"}`.
 * (Nest 12's argument-less `UnauthorizedException()` puts `message` first.)
 */
function unauthorized(): UnauthorizedException {
  return new UnauthorizedException({ statusCode: 401, message: 'Unauthorized' });
}

function isUuid(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}
