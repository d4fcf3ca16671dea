import { Logger } from '@nestjs/common';
import { ClientProxy } from '@nestjs/microservices';
import { NEVER, Observable, of, throwError } from 'rxjs';
import { CARDS_EVENTS } from './cards-events.js';
import { CardsEventsPublisher } from './cards-events.publisher.js';

describe('CardsEventsPublisher', () => {
  const deleted = { id: 'c1', occurredAt: '2026-01-01T00:00:00.000Z' };
  let warnings: string[];

  beforeEach(() => {
    warnings = [];
    Logger.overrideLogger({
      log: () => undefined,
      error: () => undefined,
      warn: (message: unknown) => warnings.push(String(message)),
    });
  });
  afterEach(() => Logger.overrideLogger(false));

  const publisherWith = (emit: () => Observable<unknown>) => {
    const emitted: [string, unknown][] = [];
    const client = {
      emit: (pattern: string, data: unknown) => {
        emitted.push([pattern, data]);
        return emit();
      },
      close: () => undefined,
    } as unknown as ClientProxy;
    return { publisher: new CardsEventsPublisher(client), emitted };
  };

  it('emits the event name and payload', () => {
    const { publisher, emitted } = publisherWith(() => of(undefined));
    publisher.publish(CARDS_EVENTS.deleted, deleted);
    expect(emitted).toEqual([['card.deleted', deleted]]);
    expect(warnings).toEqual([]);
  });

  it('turns a failed emit into one rate-limited warning, never an error', () => {
    const { publisher } = publisherWith(() => throwError(() => new Error('ECONNREFUSED')));
    expect(() => {
      publisher.publish(CARDS_EVENTS.deleted, deleted);
      publisher.publish(CARDS_EVENTS.deleted, deleted);
    }).not.toThrow();
    expect(warnings).toEqual([
      'could not publish card.deleted (ECONNREFUSED); carrying on without it',
    ]);
  });

  it('survives a client that throws synchronously', () => {
    const { publisher } = publisherWith(() => {
      throw new Error('boom');
    });
    expect(() => publisher.publish(CARDS_EVENTS.deleted, deleted)).not.toThrow();
    expect(warnings).toHaveLength(1);
  });

  it('returns at once when the transport hangs, and drops the event at shutdown', async () => {
    const { publisher } = publisherWith(() => NEVER);
    const started = Date.now();
    publisher.publish(CARDS_EVENTS.deleted, deleted);
    expect(Date.now() - started).toBeLessThan(50);
    await publisher.onApplicationShutdown();
    expect(warnings).toEqual([]);
  });
});
