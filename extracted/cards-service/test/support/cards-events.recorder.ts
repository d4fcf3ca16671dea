import { Controller, INestMicroservice, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventPattern, MicroserviceOptions, Payload, Transport } from '@nestjs/microservices';
import { CARDS_EVENTS, CardsEventName } from '../../src/events/cards-events.js';

export interface RecordedEvent {
  pattern: CardsEventName;
  data: Record<string, unknown>;
  /** What the recorder's `onEvent` hook returned when the event arrived. */
  observed?: unknown;
}

/** Collects what a real `@nestjs/microservices` TCP listener receives. */
export class CardsEventsRecording {
  readonly events: RecordedEvent[] = [];

  constructor(
    private readonly onEvent: (event: RecordedEvent) => Promise<unknown> = async () => undefined,
  ) {}

  async record(pattern: CardsEventName, data: Record<string, unknown>): Promise<void> {
    const event: RecordedEvent = { pattern, data };
    event.observed = await this.onEvent(event);
    this.events.push(event);
  }

  /** Resolves once `count` events arrived (polling; fails the test by timeout otherwise). */
  async waitFor(count: number, timeoutMs = 5_000): Promise<RecordedEvent[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.events.length < count) {
      if (Date.now() > deadline) {
        throw new Error(`expected ${count} events, got ${JSON.stringify(this.events)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return this.events.slice(0, count);
  }
}

/** A TCP microservice on `port` that records every card event into `recording`. */
export async function startCardsEventsListener(
  port: number,
  recording: CardsEventsRecording,
): Promise<INestMicroservice> {
  @Controller()
  class CardsEventsListener {
    @EventPattern(CARDS_EVENTS.created)
    created(@Payload() data: Record<string, unknown>) {
      return recording.record(CARDS_EVENTS.created, data);
    }

    @EventPattern(CARDS_EVENTS.updated)
    updated(@Payload() data: Record<string, unknown>) {
      return recording.record(CARDS_EVENTS.updated, data);
    }

    @EventPattern(CARDS_EVENTS.deleted)
    deleted(@Payload() data: Record<string, unknown>) {
      return recording.record(CARDS_EVENTS.deleted, data);
    }
  }

  @Module({ controllers: [CardsEventsListener] })
  class CardsEventsListenerModule {}

  const listener = await NestFactory.createMicroservice<MicroserviceOptions>(
    CardsEventsListenerModule,
    { transport: Transport.TCP, options: { host: '127.0.0.1', port }, logger: false },
  );
  await listener.listen();
  return listener;
}
