import {
  CanActivate,
  ExecutionContext,
  ForbiddenException,
  Inject,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { Author } from '../authors/author.entity.js';
import type { CardsServiceConfig } from '../config/cards-service.config.js';
import { CARDS_SERVICE_CONFIG } from '../config/cards-service-config.token.js';
import { bearerTokenOf, verifyAuthToken } from './auth-token.js';
import { AuthenticatedRequest } from './authenticated-author.js';

/**
 * Write routes: a valid stateless token of a known author (401 otherwise, with the contract's
 * exact body), who is not banned (403).
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    @Inject(CARDS_SERVICE_CONFIG) private readonly config: CardsServiceConfig,
    @InjectRepository(Author) private readonly authors: Repository<Author>,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const token = bearerTokenOf(request.headers.authorization);
    const userId = token && verifyAuthToken(token, this.config.authTokenSecret);
    const author = userId ? await this.authors.findOneBy({ id: userId }) : null;
    // The contract writes this body with `statusCode` first (older Nest's order), so spell it out.
    if (!author) throw new UnauthorizedException({ statusCode: 401, message: 'Unauthorized' });
    if (author.bannedAt) throw new ForbiddenException('User is banned');
    request.author = author;
    return true;
  }
}
