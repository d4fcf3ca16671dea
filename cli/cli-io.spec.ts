import { Writable } from 'node:stream';

import { jest } from '@jest/globals';

import { endQuietlyWhenReaderGoes, EXIT_OK } from './cli-io.js';

/** A stdout whose reader has gone (`| head -1`): every write fails with EPIPE. */
function closedPipe(code = 'EPIPE'): Writable {
  return new Writable({
    write(_chunk, _encoding, callback) {
      callback(Object.assign(new Error(`write ${code}`), { code }));
    },
  });
}

describe('endQuietlyWhenReaderGoes', () => {
  it('ends with exit 0 when the reader went away, instead of an unhandled error', async () => {
    const stream = closedPipe();
    const exit = jest.fn<(code: number) => void>();
    endQuietlyWhenReaderGoes(stream, exit);
    stream.write('first line\n');
    await new Promise((resolve) => setImmediate(resolve));
    expect(exit).toHaveBeenCalledWith(EXIT_OK);
  });

  it('leaves other stream errors alone', () => {
    const stream = closedPipe('EIO');
    const exit = jest.fn<(code: number) => void>();
    endQuietlyWhenReaderGoes(stream, exit);
    const error = Object.assign(new Error('write EIO'), { code: 'EIO' });
    expect(() => stream.emit('error', error)).toThrow('write EIO');
    expect(exit).not.toHaveBeenCalled();
  });
});
