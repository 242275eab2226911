import { fieldPath, fuzzInputs, inputKey, jsonOf } from './bad-inputs';

const NOW = new Date('2026-11-29T12:00:00Z');

/** Every input of a run as a distinct key (the bodies of request cases included). */
function keysOf(inputs: ReturnType<typeof fuzzInputs>): string[] {
  return [
    ...inputs.events.map((c) => inputKey('event', jsonOf(c.event))),
    ...inputs.documents.map((c) => inputKey('document', jsonOf(c.document))),
    ...inputs.requests.map((c) => inputKey('request', c.body().toString('base64'), `${c.route} ${c.contentType ?? ''}`)),
  ];
}

describe('the bad-input generator', () => {
  const inputs = fuzzInputs(7, NOW, 'run1');

  it('makes at least 1,500 distinct inputs', () => {
    const keys = keysOf(inputs);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys.length).toBeGreaterThanOrEqual(1500);
  });

  it('is pure: the same seed, clock and run id give the same inputs, another seed other ones', () => {
    expect(keysOf(fuzzInputs(7, NOW, 'run1'))).toEqual(keysOf(inputs));
    expect(keysOf(fuzzInputs(8, NOW, 'run1'))).not.toEqual(keysOf(inputs));
  });

  it('covers every category the standing test reports, on both routes', () => {
    const categories = new Set([...inputs.events, ...inputs.documents, ...inputs.requests].map((c) => c.category));
    expect([...categories].sort()).toEqual([
      'batch',
      'content-type',
      'date',
      'json',
      'limit',
      'missing',
      'nesting',
      'paths',
      'props',
      'size',
      'type',
      'unicode',
      'unknown-field',
    ]);
    expect(new Set(inputs.requests.map((c) => c.route))).toEqual(new Set(['/v1/events', '/v1/paths']));
    expect(inputs.documents.length).toBeGreaterThan(100);
  });

  it('sends every field of the event with every wrong type and without it', () => {
    for (const field of ['eventId', 'action', 'userId', 'createdAt', 'sessionId', 'objectId', 'bizId', 'path', 'errorMsg']) {
      expect(inputs.events.filter((c) => c.category === 'type' && c.name.startsWith(`${field}=`))).toHaveLength(10);
      expect(inputs.events.filter((c) => c.category === 'missing' && c.name === `${field} missing`)).toHaveLength(1);
    }
  });

  it('has bodies of 6 to 10 MiB and binary ones from 4.5 MiB, all refused with 413 on body', () => {
    const big = inputs.requests.filter((c) => c.category === 'size' && c.body().length > 4.5 * 1024 * 1024);
    expect(big.length).toBeGreaterThanOrEqual(8);
    expect(big.some((c) => c.body().length > 9.9 * 1024 * 1024 && c.body().length < 10 * 1024 * 1024)).toBe(true);
    for (const c of big) expect(c.expect).toEqual({ kind: 'refuse', status: 413, field: 'body' });
  });

  it('writes field paths as the API does', () => {
    expect([fieldPath(['props', 'amount']), fieldPath(['el', 3, 'ct']), fieldPath(['props', 'a b']), fieldPath([''])]).toEqual([
      'props.amount',
      'el[3].ct',
      'props["a b"]',
      '[""]',
    ]);
  });
});
