import type { CardView } from '../cards/card-view.type.js';

/** One search result: the card and its `ts_rank` against the query. */
export interface SearchHit {
  card: CardView;
  rank: number;
}
