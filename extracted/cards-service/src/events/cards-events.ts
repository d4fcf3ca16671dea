import type { CardView } from '../cards/views/card.view.js';

/**
 * The events cards-service publishes (with `@nestjs/microservices`, after the database
 * transaction commits). Listeners subscribe with `@EventPattern(CARDS_EVENTS.created)` etc.
 */
export const CARDS_EVENTS = {
  created: 'card.created',
  updated: 'card.updated',
  deleted: 'card.deleted',
} as const;

export type CardsEventName = (typeof CARDS_EVENTS)[keyof typeof CARDS_EVENTS];

/** When the change happened (ISO-8601, UTC). */
interface Occurred {
  occurredAt: string;
}

/** `card.created` / `card.updated`: the card's `CardView` as the HTTP API serves it, plus `occurredAt`. */
export type CardChangedEvent = CardView & Occurred;

/** `card.deleted`: only the id is left. */
export interface CardDeletedEvent extends Occurred {
  id: string;
}

/** Payload type of each event name. */
export interface CardsEventPayloads {
  'card.created': CardChangedEvent;
  'card.updated': CardChangedEvent;
  'card.deleted': CardDeletedEvent;
}
