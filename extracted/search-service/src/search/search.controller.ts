import { Controller, Get, Query } from '@nestjs/common';
import { SearchQueryDto } from './dto/search-query.dto.js';
import type { SearchPage } from './search-hit.view.js';
import { SearchService } from './search.service.js';

@Controller('search')
export class SearchController {
  constructor(private readonly searchService: SearchService) {}

  /** Full-text search of published cards; `q` is required (400 when missing or empty). */
  @Get()
  search(@Query() query: SearchQueryDto): Promise<SearchPage> {
    return this.searchService.search(query);
  }
}
