import { ClientProxy, ClientProxyFactory, Transport } from '@nestjs/microservices';
import type { CardsEventsTransport } from '../config/cards-service.config.js';

/** Injection token of the `ClientProxy` the card events go through. */
export const CARDS_EVENTS_CLIENT = Symbol('CARDS_EVENTS_CLIENT');

/** TCP to `CARDS_EVENTS_TCP_URL` by default; NATS when `NATS_URL` is set. Connects lazily. */
export function createCardsEventsClient(transport: CardsEventsTransport): ClientProxy {
  return transport.kind === 'nats'
    ? ClientProxyFactory.create({
        transport: Transport.NATS,
        options: { servers: transport.servers },
      })
    : ClientProxyFactory.create({
        transport: Transport.TCP,
        options: { host: transport.host, port: transport.port },
      });
}
