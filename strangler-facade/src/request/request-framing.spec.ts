import { framingProblem } from './request-framing.js';

describe('framingProblem', () => {
  it.each([
    ['POST', { 'content-length': '4', 'transfer-encoding': 'chunked' }, /both Content-Length/],
    ['POST', { 'transfer-encoding': 'gzip, chunked' }, /only a single "chunked"/],
    ['POST', { 'transfer-encoding': 'chunked, chunked' }, /only a single "chunked"/],
    ['POST', { 'transfer-encoding': 'identity' }, /only a single "chunked"/],
    ['GET', { 'content-length': '5' }, /GET request must not have a body/],
    ['GET', { 'transfer-encoding': 'chunked' }, /GET request must not have a body/],
    ['HEAD', { 'content-length': '1' }, /HEAD request must not have a body/],
  ])('%s %j is refused', (method, headers, reason) => {
    expect(framingProblem(method, headers)).toMatch(reason);
  });

  it.each([
    ['POST', { 'transfer-encoding': 'chunked' }],
    ['POST', { 'transfer-encoding': ' Chunked ' }],
    ['POST', { 'content-length': '10' }],
    ['GET', {}],
    ['GET', { 'content-length': '0' }],
    ['DELETE', { 'content-length': '2' }],
  ])('%s %j passes', (method, headers) => {
    expect(framingProblem(method, headers)).toBeNull();
  });
});
