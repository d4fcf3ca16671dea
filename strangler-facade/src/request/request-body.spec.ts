import { PassThrough, Readable } from 'node:stream';
import type { IncomingMessage } from 'node:http';

import { BodyLimit, readBodyUpTo } from './request-body.js';

function fakeRequest(chunks: string[]): IncomingMessage {
  const stream = new PassThrough() as unknown as IncomingMessage & PassThrough;
  for (const chunk of chunks) stream.write(chunk);
  stream.end();
  return stream;
}

async function text(stream: Readable): Promise<string> {
  let out = '';
  for await (const chunk of stream) out += String(chunk);
  return out;
}

describe('readBodyUpTo', () => {
  it('returns a body within the limit whole', async () => {
    const copy = await readBodyUpTo(fakeRequest(['ab', 'cd']), 4);
    expect(copy.complete).toBe(true);
    expect(copy.complete && copy.body.toString('utf8')).toBe('abcd');
  });

  it('replays every byte of a larger body without keeping it', async () => {
    const copy = await readBodyUpTo(fakeRequest(['ab', 'cd', 'ef', 'gh']), 3);
    expect(copy.complete).toBe(false);
    expect(await text(copy.body as Readable)).toBe('abcdefgh');
  });
});

describe('BodyLimit', () => {
  it('fails past the limit', async () => {
    const limit = new BodyLimit(3);
    const done = text(Readable.from(['ab', 'cd']).pipe(limit));
    await expect(done).rejects.toThrow(/larger than 3 bytes/);
    expect(limit.exceeded).toBe(true);
  });
});
