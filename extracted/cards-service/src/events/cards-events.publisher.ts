import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { ClientProxy } from '@nestjs/microservices';
import { Subject, takeUntil, timeout } from 'rxjs';
import { CARDS_EVENTS_CLIENT } from './cards-events-client.js';
import type { CardsEventName, CardsEventPayloads } from './cards-events.js';
import { RateLimitedWarning } from './rate-limited-warning.js';

/** How long one event may take to reach the transport before it counts as lost. */
const EMIT_TIMEOUT_MS = 5_000;

/**
 * Publishes card events fire-and-forget: callers publish after their transaction committed and
 * never wait. A broker or listener that is down costs a (rate-limited) warning, not a request.
 */
@Injectable()
export class CardsEventsPublisher implements OnApplicationShutdown {
  private readonly logger = new Logger('CardsEvents');
  private readonly warning = new RateLimitedWarning((message) => this.logger.warn(message));
  /** Fires once at shutdown: drops the events still in flight. */
  private readonly shuttingDown = new Subject<void>();

  constructor(@Inject(CARDS_EVENTS_CLIENT) private readonly client: ClientProxy) {}

  publish<Name extends CardsEventName>(name: Name, payload: CardsEventPayloads[Name]): void {
    try {
      this.client
        .emit(name, payload)
        .pipe(timeout(EMIT_TIMEOUT_MS), takeUntil(this.shuttingDown))
        .subscribe({ error: (error: unknown) => this.lost(name, error) });
    } catch (error) {
      this.lost(name, error);
    }
  }

  /** Drops the events still in flight and closes the transport. */
  async onApplicationShutdown(): Promise<void> {
    this.shuttingDown.next();
    this.shuttingDown.complete();
    await this.client.close();
  }

  private lost(name: CardsEventName, error: unknown): void {
    const reason = error instanceof Error ? error.message : String(error);
    this.warning.warn(`could not publish ${name} (${reason}); carrying on without it`);
  }
}
