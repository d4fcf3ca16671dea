/**
 * Request bodies the facade needs a copy of (a fallback must be able to replay it, a shadow sends
 * it again), and the request size limit for bodies that stream through.
 *
 * `readBodyUpTo` reads at most `limit` bytes: a body that fits comes back whole (`complete`);
 * a larger one comes back as a stream that replays what was read and then the rest of the
 * request, so the primary still gets every byte (the copy is just not kept).
 */
import type { IncomingMessage } from 'node:http';
import { Readable, Transform, type TransformCallback } from 'node:stream';

export type BodyCopy =
  | { readonly complete: true; readonly body: Buffer }
  | { readonly complete: false; readonly body: Readable };

export class BodyTooLargeError extends Error {
  readonly code = 'BODY_TOO_LARGE';
  constructor(readonly limit: number) {
    super(`request body larger than ${limit} bytes`);
  }
}

export function readBodyUpTo(req: IncomingMessage, limit: number): Promise<BodyCopy> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    const cleanup = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      bytes += chunk.length;
      if (bytes <= limit) return;
      cleanup();
      req.pause();
      resolve({ complete: false, body: replay(chunks, req) });
    };
    const onEnd = (): void => {
      cleanup();
      resolve({
        complete: true,
        body: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks),
      });
    };
    const onError = (error: Error): void => {
      cleanup();
      reject(error);
    };
    const onClose = (): void => {
      if (req.complete) return;
      cleanup();
      reject(new Error('client went away while sending the body'));
    };
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', onError);
    req.once('close', onClose);
  });
}

function replay(chunks: Buffer[], rest: IncomingMessage): Readable {
  return Readable.from(
    (async function* () {
      yield* chunks;
      for await (const chunk of rest) yield chunk as Buffer;
    })(),
    { objectMode: false },
  );
}

/** Counts bytes through and fails with `BodyTooLargeError` past `limit` (chunked uploads). */
export class BodyLimit extends Transform {
  #bytes = 0;
  exceeded = false;

  constructor(private readonly limit: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#bytes += chunk.length;
    if (this.#bytes > this.limit) {
      this.exceeded = true;
      callback(new BodyTooLargeError(this.limit));
      return;
    }
    callback(null, chunk);
  }
}
