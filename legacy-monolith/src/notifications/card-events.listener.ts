import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import {
  CARDS_EVENTS,
  type CardChangedEvent,
  type CardDeletedEvent,
} from '../../../extracted/cards-service/src/events/cards-events.js';
import { NotificationsService } from './notifications.service.js';

/**
 * The monolith as a consumer of cards-service's events (`@nestjs/microservices`, choreography):
 * once card writes have moved to cards-service, this is how the monolith hears of new cards
 * without reading cards-service's database.
 */
@Controller()
export class CardEventsListener {
  constructor(private readonly notifications: NotificationsService) {}

  /** Notifies the author's followers. */
  @EventPattern(CARDS_EVENTS.created)
  cardCreated(@Payload() event: CardChangedEvent): Promise<void> {
    return this.notifications.cardCreated(event);
  }

  /** Withdraws the notifications of the card. */
  @EventPattern(CARDS_EVENTS.deleted)
  cardDeleted(@Payload() event: CardDeletedEvent): Promise<void> {
    return this.notifications.cardDeleted(event);
  }
}
