/**
 * A copy of a response taken while it streams to the client, for the shadow comparison: status,
 * headers and the first `limit` body bytes (past that the copy is marked `overflowed` and the
 * comparison is skipped). The client's stream is never slowed: chunks are referenced, not copied.
 */
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { Writable } from 'node:stream';

export class ResponseCapture {
  status = 0;
  headers: IncomingHttpHeaders = {};
  readonly chunks: Buffer[] = [];
  bytes = 0;
  overflowed = false;

  constructor(readonly limit: number) {}

  head(status: number, headers: IncomingHttpHeaders): void {
    this.status = status;
    this.headers = headers;
  }

  add(chunk: Buffer): void {
    if (this.overflowed) return;
    this.bytes += chunk.length;
    if (this.bytes > this.limit) {
      this.overflowed = true;
      this.chunks.length = 0;
      return;
    }
    this.chunks.push(chunk);
  }

  body(): Buffer {
    return this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
  }
}

/** Writes through to the client response (with its backpressure) and copies into a capture. */
export class CapturingWritable extends Writable {
  constructor(
    private readonly res: ServerResponse,
    private readonly capture: ResponseCapture,
  ) {
    super();
    res.once('close', () => {
      if (!res.writableFinished) this.destroy();
    });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.capture.add(chunk);
    if (this.res.write(chunk)) callback();
    else this.res.once('drain', callback);
  }

  override _final(callback: () => void): void {
    this.res.end(callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (error !== null && !this.res.writableFinished) this.res.destroy();
    callback(error);
  }
}

/** Swallows a diverted (not forwarded) response body. */
export class DiscardWritable extends Writable {
  override _write(_chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    callback();
  }
}
