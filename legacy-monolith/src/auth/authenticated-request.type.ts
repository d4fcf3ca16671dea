import type { IncomingMessage } from 'node:http';
import type { User } from '../users/user.entity.js';

/** A request that passed {@link AuthGuard}: the caller's user row is attached. */
export interface AuthenticatedRequest extends IncomingMessage {
  user: User;
}
