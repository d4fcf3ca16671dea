import { LogicalReplicationService, PgoutputPlugin, type Pgoutput } from 'pg-logical-replication';
import { bigIntToLsn, lsnToBigInt, type Lsn } from '../lsn.js';
import { keepText } from './pg-text-value.js';

/** What the stream hands over, in the order the server sent it. */
export type StreamItem =
  | { kind: 'message'; lsn: Lsn; message: Pgoutput.Message }
  | { kind: 'keepalive'; lsn: Lsn; shouldRespond: boolean }
  | { kind: 'error'; error: Error }
  | { kind: 'wake' }
  | { kind: 'end' };

/**
 * pgoutput's plugin from pg-logical-replication, with every column value left in PostgreSQL text
 * form: the library's default parses with pg's type parsers (timestamps become Dates and lose
 * their microseconds); text goes back into the target database unchanged.
 */
class TextPgoutputPlugin extends PgoutputPlugin {
  override parse(buffer: Buffer): Pgoutput.Message {
    const message = super.parse(buffer);
    // Relation messages are parsed, cached by the parser and returned before the rows that use
    // them: switching the cached columns' parser here applies to every later row.
    if (message.tag === 'relation') for (const column of message.columns) column.parser = keepText;
    return message;
  }
}

export interface PgoutputStreamOptions {
  sourceUrl: string;
  slot: string;
  publication: string;
  /** Position to start from (the server starts at the later of this and the slot's). */
  startLsn: Lsn;
  /** Pause reading from the socket while this many items wait (default 5000). */
  highWaterMark?: number;
}

interface PausableConnection {
  stream?: { pause?: () => void; resume?: () => void };
}

/**
 * A logical replication stream read with pg-logical-replication, acknowledged only on request.
 *
 * The library's defaults acknowledge, on every message and on a 10 s timer, the position it has
 * RECEIVED: a crash would then lose whatever was received but not yet applied. Here
 * `acknowledge: { auto: false, timeoutSeconds: 0 }` turns both off; the pipeline calls
 * `acknowledge()` with the commit end LSN of the last source transaction whose target
 * transaction has committed, and answers keepalives itself.
 */
export class PgoutputStream {
  private readonly service: LogicalReplicationService;
  private readonly items: StreamItem[] = [];
  private waiting: ((item: StreamItem) => void) | null = null;
  private paused = false;
  private ended = false;
  private readonly highWaterMark: number;

  constructor(private readonly options: PgoutputStreamOptions) {
    this.highWaterMark = options.highWaterMark ?? 5000;
    this.service = new LogicalReplicationService(
      { connectionString: options.sourceUrl },
      { acknowledge: { auto: false, timeoutSeconds: 0 }, flowControl: { enabled: false } },
    );
    this.service.on('data', (lsn: string, message: Pgoutput.Message) =>
      this.push({ kind: 'message', lsn, message }),
    );
    this.service.on('heartbeat', (lsn: string, _timestamp: number, shouldRespond: boolean) =>
      this.push({ kind: 'keepalive', lsn, shouldRespond }),
    );
    this.service.on('error', (error: Error) => this.push({ kind: 'error', error }));
  }

  /** Starts streaming; resolves once the server accepted START_REPLICATION. */
  async start(): Promise<void> {
    const plugin = new TextPgoutputPlugin({
      protoVersion: 1,
      publicationNames: [this.options.publication],
    });
    const started = new Promise<void>((resolve) => this.service.once('start', () => resolve()));
    const running = this.service.subscribe(plugin, this.options.slot, this.options.startLsn);
    running.then(
      () => this.push({ kind: 'end' }),
      (error: unknown) =>
        this.push({
          kind: 'error',
          error: error instanceof Error ? error : new Error(String(error)),
        }),
    );
    await Promise.race([
      started,
      running.then(() => {
        throw new Error(`replication from slot ${this.options.slot} ended before it started`);
      }),
    ]);
  }

  /** The next item; waits for one. After `end` or `error`, keeps returning `end`. */
  next(): Promise<StreamItem> {
    const item = this.items.shift();
    if (item) {
      this.resumeIfDrained();
      return Promise.resolve(item);
    }
    if (this.ended) return Promise.resolve({ kind: 'end' });
    return new Promise((resolve) => (this.waiting = resolve));
  }

  /** Items received and not yet taken. */
  get backlog(): number {
    return this.items.length;
  }

  /**
   * Reports `lsn` as written, flushed and applied: the server may recycle WAL before it and
   * will not send transactions that committed before it again.
   */
  async acknowledge(lsn: Lsn): Promise<void> {
    // The library reports `lsn + 1`; PostgreSQL skips a transaction whose commit record starts
    // before the confirmed position, and the next commit record may start exactly at this
    // transaction's end. Hand it `lsn - 1` so the server records exactly `lsn`.
    const value = lsnToBigInt(lsn);
    if (value === 0n) return;
    await this.service.acknowledge(bigIntToLsn(value - 1n));
  }

  /** Wakes a pending `next()` (with a `wake` item) so the reader can look at its own state. */
  wake(): void {
    this.push({ kind: 'wake' });
  }

  async stop(): Promise<void> {
    this.ended = true;
    await this.service.destroy();
    this.items.length = 0;
    this.waiting?.({ kind: 'end' });
    this.waiting = null;
  }

  private push(item: StreamItem): void {
    if (this.ended) return;
    if (item.kind === 'end' || item.kind === 'error') this.ended = true;
    const waiting = this.waiting;
    if (waiting) {
      this.waiting = null;
      waiting(item);
      return;
    }
    this.items.push(item);
    if (!this.paused && this.items.length >= this.highWaterMark) {
      this.paused = true;
      this.connection()?.stream?.pause?.();
    }
  }

  private resumeIfDrained(): void {
    if (this.paused && this.items.length <= this.highWaterMark / 4) {
      this.paused = false;
      this.connection()?.stream?.resume?.();
    }
  }

  /** The library keeps its pg connection private; its socket is paused for backpressure. */
  private connection(): PausableConnection | null {
    return (this.service as unknown as { _connection: PausableConnection | null })._connection;
  }
}
