import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { Author } from '../authors/author.entity.js';

/** What `AuthGuard` leaves on the request for the handler. */
export interface AuthenticatedRequest extends IncomingMessage {
  author?: Author;
}

/** The author `AuthGuard` authenticated for this request. */
export const AuthenticatedAuthor = createParamDecorator(
  (_data: unknown, context: ExecutionContext): Author => {
    const author = context.switchToHttp().getRequest<AuthenticatedRequest>().author;
    if (!author) throw new Error('AuthenticatedAuthor used on a route without AuthGuard');
    return author;
  },
);
