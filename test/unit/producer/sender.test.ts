import { sendEvents, TokenBucket, type EventSource, type OutgoingEvent, type Outcome } from '../../../scripts/producer/sender';
import { acceptAll, answer, refuseFirst, startFakeApi, validatingHandler, type FakeApi } from './fake-api';

/** A source of `count` simple valid events (ids e-0, e-1 …), or bounded by wall time. */
function source(opts: { count?: number; durationMs?: number; invalidEvery?: number }): EventSource {
  let seq = 0;
  const started = Date.now();
  return {
    next(now) {
      if (opts.count !== undefined && seq >= opts.count) return undefined;
      if (opts.durationMs !== undefined && now - started >= opts.durationMs) return undefined;
      const broken = opts.invalidEvery !== undefined && seq % opts.invalidEvery === opts.invalidEvery - 1;
      const body: Record<string, unknown> = {
        eventId: `e-${seq}`,
        action: 'page_view',
        userId: `u-${seq % 7}`,
        createdAt: new Date(now).toISOString(),
      };
      if (broken) delete body.userId;
      const event: OutgoingEvent = { seq, body };
      seq += 1;
      return event;
    },
  };
}

function collect(): { outcomes: Map<string, Outcome>; onOutcome: (e: OutgoingEvent, o: Outcome) => void } {
  const outcomes = new Map<string, Outcome>();
  return {
    outcomes,
    onOutcome: (e, o) => {
      const id = String(e.body.eventId);
      if (outcomes.has(id)) throw new Error(`second outcome for ${id}`);
      outcomes.set(id, o);
    },
  };
}

describe('sender', () => {
  let api: FakeApi | undefined;
  afterEach(async () => {
    await api?.close();
    api = undefined;
  });

  it('resends only the events the API marked retryable, and loses none', async () => {
    // prepare: every 4th event is throttled the first time it is seen (207 / 503 with retryable: true)
    const fake = validatingHandler((id, times) => Number(id.slice(2)) % 4 === 0 && times === 1);
    api = await startFakeApi(fake.handler);
    const { outcomes, onOutcome } = collect();

    // act
    const report = await sendEvents(source({ count: 200 }), {
      url: `${api.url}/v1/events`,
      apiKey: 'k-test',
      batchSize: 25,
      rate: 5000,
      retryBaseMs: 5,
      onOutcome,
    });

    // assess: all accepted exactly once, 50 resends, and only those ids were sent twice
    expect(report).toMatchObject({ generated: 200, accepted: 200, rejected: 0, failed: 0, resent: 50 });
    expect(new Set(fake.accepted).size).toBe(200);
    expect(fake.accepted).toHaveLength(200);
    const sentTwice = [...fake.seen.entries()].filter(([, n]) => n > 1).map(([id]) => id);
    expect(sentTwice.sort()).toEqual(Array.from({ length: 50 }, (_, i) => `e-${i * 4}`).sort());
    expect([...fake.seen.values()].every((n) => n <= 2)).toBe(true);
    expect(outcomes.size).toBe(200);
    expect(api.requests.every((r) => r.apiKey === 'k-test' && r.events.length <= 25)).toBe(true);
  });

  it('counts final rejections by field and reason and never resends them', async () => {
    const fake = validatingHandler();
    api = await startFakeApi(fake.handler);
    const { outcomes, onOutcome } = collect();

    const report = await sendEvents(source({ count: 30, invalidEvery: 3 }), {
      url: `${api.url}/v1/events`,
      apiKey: 'k',
      batchSize: 10,
      rate: 1000,
      onOutcome,
    });

    expect(report).toMatchObject({ generated: 30, accepted: 20, rejected: 10, failed: 0, resent: 0 });
    expect(report.rejectedByReason).toEqual({ 'userId: Invalid input: expected string, received undefined': 10 });
    expect(api.requests.reduce((n, r) => n + r.events.length, 0)).toBe(30);
    expect([...outcomes.values()].filter((o) => o.status === 'rejected')).toHaveLength(10);
  });

  it('retries whole requests on network errors and 5xx, then counts the events as failed', async () => {
    api = await startFakeApi(() => 'destroy');
    const report = await sendEvents(source({ count: 12 }), {
      url: `${api.url}/v1/events`,
      apiKey: 'k',
      batchSize: 5,
      rate: 1000,
      maxRetries: 2,
      retryBaseMs: 2,
    });

    expect(report).toMatchObject({ generated: 12, accepted: 0, rejected: 0, failed: 12 });
    // each event sent 3 times: the first send and 2 retries (retries may be regrouped into other requests)
    const sends = new Map<string, number>();
    for (const r of api.requests) for (const e of r.events) sends.set(String(e.eventId), (sends.get(String(e.eventId)) ?? 0) + 1);
    expect(sends.size).toBe(12);
    expect([...sends.values()].every((n) => n === 3)).toBe(true);
    expect(Object.keys(report.failedByReason)).toHaveLength(1);
    expect(Object.keys(report.failedByReason)[0]).toMatch(/^network: .*\(gave up after 2 retries\)$/);
  });

  it('resends the events of one refused request together, not as a burst of small requests', async () => {
    // prepare: the first four requests are throttled (429, as API Gateway answers), then all is accepted
    api = await startFakeApi(refuseFirst(4, { status: 429, body: { message: 'Too Many Requests' } }));

    // act: four full batches at once
    const report = await sendEvents(source({ count: 100 }), {
      url: `${api.url}/v1/events`,
      apiKey: 'k',
      batchSize: 25,
      rate: 100_000,
      concurrency: 4,
      retryBaseMs: 200,
    });

    // assess: each refused batch went out again as one request
    expect(report).toMatchObject({ accepted: 100, failed: 0, resent: 100, requests: 8 });
    expect(api.requests.map((r) => r.events.length)).toEqual(Array.from({ length: 8 }, () => 25));
  });

  it('recovers from a 503 without per-event results by resending the batch', async () => {
    api = await startFakeApi(refuseFirst(1, { status: 503, body: { message: 'Service Unavailable' } }));
    const report = await sendEvents(source({ count: 10 }), {
      url: `${api.url}/v1/events`,
      apiKey: 'k',
      batchSize: 10,
      rate: 1000,
      retryBaseMs: 2,
    });
    expect(report).toMatchObject({ accepted: 10, failed: 0, resent: 10, requests: 2 });
  });

  it('halves the batch on 413 and sends everything in smaller requests', async () => {
    api = await startFakeApi((req) => {
      if (req.events.length > 4) return { status: 413, body: { message: 'Request Too Long' } };
      return acceptAll(req);
    });
    const report = await sendEvents(source({ count: 20 }), { url: `${api.url}/v1/events`, apiKey: 'k', batchSize: 16, rate: 10_000 });
    expect(report).toMatchObject({ generated: 20, accepted: 20, failed: 0, rejected: 0 });
    expect(api.requests.filter((r) => r.events.length > 4).length).toBeGreaterThan(0);
  });

  it('stops at once when the API key is refused', async () => {
    api = await startFakeApi(() => ({ status: 403, body: { message: 'Forbidden' } }));
    const report = await sendEvents(source({ count: 1000 }), { url: `${api.url}/v1/events`, apiKey: 'wrong', batchSize: 10, rate: 100 });
    expect(report.aborted).toMatch(/HTTP 403 Forbidden .*check --api-key/);
    expect(report.accepted).toBe(0);
    expect(report.failed).toBe(report.generated);
    expect(report.generated).toBeLessThan(1000);
  });

  it('matches results by eventId when the index does not fit', async () => {
    api = await startFakeApi((req) =>
      answer([...req.events].reverse().map((e) => ({ index: 999, eventId: String(e.eventId), status: 'accepted' as const }))),
    );
    const report = await sendEvents(source({ count: 5 }), { url: `${api.url}/v1/events`, apiKey: 'k', batchSize: 5, rate: 1000 });
    expect(report).toMatchObject({ accepted: 5, failed: 0, resent: 0 });
  });

  it('honours the rate: about rate x duration events, whatever the batch size', async () => {
    const fake = validatingHandler();
    api = await startFakeApi(fake.handler);
    const report = await sendEvents(source({ durationMs: 1500 }), { url: `${api.url}/v1/events`, apiKey: 'k', batchSize: 20, rate: 40 });
    // 40 events/s for 1.5 s is 60 events; allow scheduling slack, but far below an unthrottled run
    expect(report.generated).toBeGreaterThanOrEqual(45);
    expect(report.generated).toBeLessThanOrEqual(64);
    expect(report.accepted).toBe(report.generated);
  });
});

describe('TokenBucket', () => {
  it('earns rate tokens per second up to its capacity', () => {
    const bucket = new TokenBucket(10, 5, 0, 0);
    expect(bucket.tryTake()).toBe(false);
    expect(bucket.msUntilToken()).toBeCloseTo(100);
    bucket.refill(250);
    expect([bucket.tryTake(), bucket.tryTake(), bucket.tryTake()]).toEqual([true, true, false]);
    bucket.refill(10_000);
    let taken = 0;
    while (bucket.tryTake()) taken += 1;
    expect(taken).toBe(5);
  });
});
