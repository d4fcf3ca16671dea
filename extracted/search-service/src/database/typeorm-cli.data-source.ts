import { resolveSearchDatabaseUrl } from '../config/search-service.config.js';
import { createSearchDataSource } from './data-source.js';

/**
 * For the TypeORM CLI only (`typeorm -d <this file> migration:show`): the search database as the
 * service resolves it. Importing this module reads the environment and throws if the URL is
 * missing or bad, which is why the service imports `data-source.ts` instead.
 */
export default createSearchDataSource(resolveSearchDatabaseUrl());
