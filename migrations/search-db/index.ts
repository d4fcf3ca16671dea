import { CreateSearchSchema1764200000000 } from './1764200000000-CreateSearchSchema.js';
import { SerializeSearchDocumentRefresh1764300000000 } from './1764300000000-SerializeSearchDocumentRefresh.js';

/** The search database migrations, oldest first. Register new ones here (no globs). */
export const searchDbMigrations = [
  CreateSearchSchema1764200000000,
  SerializeSearchDocumentRefresh1764300000000,
];
