import { Module } from '@nestjs/common';
import type { CardsServiceConfig } from '../config/cards-service.config.js';
import { CARDS_SERVICE_CONFIG } from '../config/cards-service-config.token.js';
import { CARDS_EVENTS_CLIENT, createCardsEventsClient } from './cards-events-client.js';
import { CardsEventsPublisher } from './cards-events.publisher.js';

@Module({
  providers: [
    {
      provide: CARDS_EVENTS_CLIENT,
      inject: [CARDS_SERVICE_CONFIG],
      useFactory: (config: CardsServiceConfig) => createCardsEventsClient(config.events),
    },
    CardsEventsPublisher,
  ],
  exports: [CardsEventsPublisher],
})
export class CardsEventsModule {}
