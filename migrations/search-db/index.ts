import { CreateSearchSchema1764200000000 } from './1764200000000-CreateSearchSchema.js';

/** The search database migrations, oldest first. Register new ones here (no globs). */
export const searchDbMigrations = [CreateSearchSchema1764200000000];
