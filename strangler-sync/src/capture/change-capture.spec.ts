import { insertEvent, type ChangeEvent } from '../change-event/change-event.js';
import type { Lsn } from '../lsn.js';
import {
  ChangeCapture,
  type ChangeSink,
  type SourceCommit,
  type SourceReader,
} from './change-capture.js';
import type { SourceTransaction } from './pgoutput-change-events.js';
import type { SourceItem } from './source-transactions.js';

/** A clock the test moves: 1 ms per item read. */
const clock = { now: 0 };

/** The slot as a steady stream: the next transaction is always already waiting. */
class SteadyStream implements SourceReader {
  open: SourceTransaction | null = null;
  backlog = 1;
  idleAckDue = false;
  readonly acknowledged: Lsn[] = [];
  private pending: ((item: SourceItem) => void) | null = null;

  constructor(private readonly items: SourceItem[]) {}

  start(): Promise<void> {
    return Promise.resolve();
  }

  stop(): Promise<void> {
    this.pending?.({ kind: 'end' });
    return Promise.resolve();
  }

  wake(): void {
    this.pending?.({ kind: 'wake' });
    this.pending = null;
  }

  next(): Promise<SourceItem> {
    clock.now += 1;
    const item = this.items.shift();
    if (!item) {
      this.backlog = 0;
      return new Promise((resolve) => (this.pending = resolve));
    }
    if (item.kind === 'begin') this.open = item.transaction;
    if (item.kind === 'commit') this.open = null;
    return Promise.resolve(item);
  }

  acknowledge(lsn: Lsn): Promise<void> {
    this.acknowledged.push(lsn);
    return Promise.resolve();
  }
}

class RecordingSink implements ChangeSink {
  durable: Lsn = '0/0';
  readonly full = false;
  readonly flushes: number[] = [];
  private held: SourceCommit[] = [];

  get holding(): boolean {
    return this.held.length > 0;
  }
  open(): Promise<void> {
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
  add(): Promise<void> {
    return Promise.resolve();
  }
  complete(commit: SourceCommit): void {
    this.held.push(commit);
  }
  flush(): Promise<void> {
    const last = this.held[this.held.length - 1];
    if (last) {
      this.flushes.push(this.held.length);
      this.durable = last.endLsn;
    }
    this.held = [];
    return Promise.resolve();
  }
  discard(): Promise<void> {
    this.held = [];
    return Promise.resolve();
  }
}

function transactions(count: number): SourceItem[] {
  const items: SourceItem[] = [];
  for (let i = 1; i <= count; i += 1) {
    const lsn = `0/${(i * 0x100).toString(16).toUpperCase()}`;
    const transaction: SourceTransaction = {
      xid: i,
      commitLsn: lsn,
      commitTimeMs: i,
      order: 0,
      orderByTable: new Map(),
      origin: null,
      echo: false,
    };
    const event: ChangeEvent = insertEvent(
      { id: i },
      { name: 'p', db: 'src', schema: 'public', table: 't' },
      { txId: i, lsn, commitLsn: lsn, commitTimeMs: i, totalOrder: 1, tableOrder: 1 },
    );
    items.push(
      { kind: 'begin', transaction },
      { kind: 'changes', transaction, events: [event] },
      { kind: 'commit', transaction, endLsn: lsn, commitTime: new Date(i) },
      // The server sends a keepalive after nearly every transaction while it keeps up.
      { kind: 'keepalive', lsn, shouldRespond: false },
    );
  }
  return items;
}

const options = {
  pipeline: 'p',
  sourceUrl: 'postgres://unused',
  sourceDb: 'src',
  slot: 's',
  publication: 'p',
  startLsn: '0/0',
  skipOrigins: [],
  maxBatchDelayMs: 50,
};

describe('ChangeCapture', () => {
  it('makes a steady stream durable about every maxBatchDelayMs: not only when a batch is full, not at every keepalive', async () => {
    const stream = new SteadyStream(transactions(300));
    const sink = new RecordingSink();
    const capture = new ChangeCapture(options, sink, stream, () => clock.now);
    const { done } = await capture.start();
    while (stream.backlog > 0) await new Promise((resolve) => setImmediate(resolve));
    await capture.stop();
    await done;

    // 4 items per transaction at 1 ms each: 50 ms hold about 13 transactions; neither one
    // flush at the end (a steady stream always has more waiting) nor one per keepalive.
    expect(sink.flushes.length).toBeGreaterThan(15);
    expect(sink.flushes.length).toBeLessThan(40);
    expect(Math.max(...sink.flushes)).toBeLessThanOrEqual(14);
    expect(sink.flushes.reduce((a, b) => a + b, 0)).toBe(300);
    // Acknowledged only with what the sink made durable, in order, up to the last commit.
    expect(stream.acknowledged[stream.acknowledged.length - 1]).toBe('0/12C00');
  });
});
