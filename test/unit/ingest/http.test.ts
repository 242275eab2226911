import { readJsonBody, routeOf, statusOf } from '../../../lambdas/ingest/http';
import type { EventResult } from '../../../lambdas/shared/ingest-api';

const accepted = (index: number): EventResult => ({ index, eventId: `e${index}`, status: 'accepted' });
const invalidResult = (index: number): EventResult => ({
  index,
  eventId: `e${index}`,
  status: 'rejected',
  error: { field: 'userId', reason: 'is required', retryable: false },
});
const streamFailed = (index: number): EventResult => ({
  index,
  eventId: `e${index}`,
  status: 'rejected',
  error: { field: '', reason: 'stream unavailable: InternalFailure', retryable: true },
});

describe('statusOf', () => {
  it.each([
    ['all accepted', [accepted(0), accepted(1)], 200],
    ['some accepted, some invalid', [accepted(0), invalidResult(1)], 207],
    ['some accepted, some not written', [accepted(0), streamFailed(1)], 207],
    ['none accepted, all invalid', [invalidResult(0), invalidResult(1)], 400],
    ['none accepted, only because the stream failed', [streamFailed(0), streamFailed(1)], 503],
    ['none accepted, invalid and not written', [invalidResult(0), streamFailed(1)], 400],
  ])('%s → %i', (_, results, status) => {
    expect(statusOf(results)).toBe(status);
  });
});

describe('readJsonBody', () => {
  it('parses a UTF-8 body, with or without a byte-order mark', () => {
    expect(readJsonBody({ body: '{"a":"杭州"}', isBase64Encoded: false }, 100)).toEqual({ ok: true, value: { a: '杭州' } });
    expect(readJsonBody({ body: '\uFEFF{"a":1}', isBase64Encoded: false }, 100)).toEqual({ ok: true, value: { a: 1 } });
  });

  it('counts the limit in bytes after base64 decoding', () => {
    // prepare: 10 bytes of JSON, 16 characters of base64
    const body = Buffer.from('{"a":"xyz"}').toString('base64');

    // act + assess
    expect(readJsonBody({ body, isBase64Encoded: true }, 11)).toEqual({ ok: true, value: { a: 'xyz' } });
    expect(readJsonBody({ body, isBase64Encoded: true }, 10)).toMatchObject({ ok: false, response: { statusCode: 413 } });
  });

  it('takes a body of exactly the limit', () => {
    expect(readJsonBody({ body: '[1]', isBase64Encoded: false }, 3).ok).toBe(true);
    expect(readJsonBody({ body: '[1]', isBase64Encoded: false }, 2)).toMatchObject({ ok: false, response: { statusCode: 413 } });
  });

  it('says why the body is not JSON', () => {
    // act
    const read = readJsonBody({ body: '{"events": [1,}', isBase64Encoded: false }, 100);

    // assess
    expect(read.ok).toBe(false);
    const response = read.ok ? undefined : read.response;
    expect(response?.statusCode).toBe(400);
    expect((JSON.parse(response?.body ?? '{}') as { error: string }).error).toMatch(/^body: is not valid JSON: .+/);
  });
});

describe('routeOf', () => {
  it.each([
    [{ httpMethod: 'POST', resource: '/v1/events', path: '/v1/events' }, 'events'],
    [{ httpMethod: 'POST', resource: '/v1/paths', path: '/prod/v1/paths' }, 'paths'],
    [{ httpMethod: 'POST', resource: '/{proxy+}', path: '/v1/paths' }, 'paths'],
  ])('%j → %s', (event, route) => {
    expect(routeOf(event)).toEqual({ ok: true, route });
  });

  it.each([
    [{ httpMethod: 'POST', resource: '/v2/events', path: '/v2/events' }, 404],
    [{ httpMethod: 'PUT', resource: '/v1/events', path: '/v1/events' }, 405],
  ])('%j → %i', (event, status) => {
    expect(routeOf(event)).toMatchObject({ ok: false, response: { statusCode: status } });
  });
});
