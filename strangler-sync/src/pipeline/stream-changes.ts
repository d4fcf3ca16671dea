import { TargetSink, type TargetSinkOptions } from '../apply/target-sink.js';
import { ChangeCapture, type ChangeCaptureOptions } from '../capture/change-capture.js';
import type { Lsn } from '../lsn.js';

/** The capture's options (slot, start position, echo filter) and the apply's (target, batch). */
export type StreamChangesOptions = ChangeCaptureOptions & TargetSinkOptions;

/**
 * The in-process transport: the capture (ChangeCapture) hands whole source transactions
 * straight to the apply (TargetSink): one target transaction holds one or more of them, together
 * with the new applied position in `_strangler_sync_state`, and only after that COMMIT is the
 * slot acknowledged, with the commit end LSN of the last source transaction in it.
 */
export class ChangeStreamer {
  private readonly sink: TargetSink;
  private readonly capture: ChangeCapture;

  constructor(options: StreamChangesOptions) {
    this.sink = new TargetSink(options);
    this.capture = new ChangeCapture(options, this.sink);
  }

  /** Commit end LSN of the last source transaction applied. */
  get applied(): Lsn {
    return this.sink.durable;
  }

  /** Connects and starts streaming; `done` settles when it ends (stop or failure). */
  start(): Promise<{ done: Promise<void> }> {
    return this.capture.start();
  }

  /**
   * Stops at the next source transaction boundary (what is batched is committed and
   * acknowledged); after `graceMs` a half-received source transaction is rolled back instead.
   */
  stop(graceMs = 5000): Promise<void> {
    return this.capture.stop(graceMs);
  }
}
