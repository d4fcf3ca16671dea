import { CreateLegacySchema1764000000000 } from './1764000000000-CreateLegacySchema.js';
import { AddCardSearchVector1764000100000 } from './1764000100000-AddCardSearchVector.js';
import { AddNotifications1764000200000 } from './1764000200000-AddNotifications.js';

/** The legacy database's migrations, oldest first (registered explicitly: no globs). */
export const legacyMigrations = [
  CreateLegacySchema1764000000000,
  AddCardSearchVector1764000100000,
  AddNotifications1764000200000,
] as const;
