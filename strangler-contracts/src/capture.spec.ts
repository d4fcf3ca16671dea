import { captureSourceProblem, captureValue, CaptureError } from './capture.js';

const json = (value: unknown, status = 200) => ({
  status,
  headers: { 'Content-Type': 'application/json; charset=utf-8', Location: '/cards/9' },
  body: Buffer.from(JSON.stringify(value)),
});

describe('capture', () => {
  const response = json({ id: 'c-1', items: [{ tags: ['x', 'y'] }], 'odd key': 5, nothing: null });

  it.each([
    ['$.id', 'c-1'],
    ['$.items[0].tags[1]', 'y'],
    ["$['odd key']", 5],
    ['$.nothing', null],
    ['$', { id: 'c-1', items: [{ tags: ['x', 'y'] }], 'odd key': 5, nothing: null }],
    ['status', 200],
    ['headers.location', '/cards/9'],
  ])('%s', (source, expected) => {
    expect(captureSourceProblem(source)).toBeNull();
    expect(captureValue(source, response)).toEqual(expected);
  });

  it.each([
    ['$.missing', '$.missing is not in the response'],
    ['$.items[3]', '$.items[3] is not in the response'],
    ['$.id.length', '$.id.length is not in the response'],
    ['headers.etag', 'no etag header in the response'],
  ])('%s is a CaptureError', (source, message) => {
    expect(() => captureValue(source, response)).toThrow(CaptureError);
    expect(() => captureValue(source, response)).toThrow(message);
  });

  it('refuses a body that is not JSON', () => {
    const text = {
      status: 500,
      headers: { 'content-type': 'text/html' },
      body: Buffer.from('<h1>'),
    };
    expect(() => captureValue('$.id', text)).toThrow('the response is not JSON (text/html)');
  });

  it.each([
    ['$..id', /must name one value/],
    ['$.items[*]', /must name one value/],
    ['id', /use a JSON path/],
    ['$.[', /invalid path/],
    ['headers.', /needs a header name/],
  ])('rejects the source %s', (source, problem) => {
    expect(captureSourceProblem(source)).toMatch(problem);
  });
});
