import { CreateCardsSchema1764100000000 } from './1764100000000-CreateCardsSchema.js';

/** The cards database migrations, oldest first. Register new ones here (no globs). */
export const cardsDbMigrations = [CreateCardsSchema1764100000000];
