import { meteredEntry } from '../../../lambdas/shared/entry';
import { EVENT_FIELDS, MetricTally, metricsNamespace, rejectionField } from '../../../lambdas/shared/metrics';

/** The EMF documents written to stdout while `run` runs. */
async function emfWrittenBy(run: () => Promise<unknown>): Promise<Array<Record<string, unknown>>> {
  const lines: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(...String(chunk).split('\n'));
    return true;
  });
  try {
    await run().catch(() => undefined);
  } finally {
    spy.mockRestore();
  }
  return lines.filter((line) => line.startsWith('{') && line.includes('"_aws"')).map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** The metric names and dimension sets of an EMF document. */
const directiveOf = (doc: Record<string, unknown>) =>
  (doc._aws as { CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][]; Metrics: Array<{ Name: string; Unit: string }> }> })
    .CloudWatchMetrics[0];

describe('rejectionField', () => {
  it('keeps the top-level schema field and bounds everything else', () => {
    expect(rejectionField('createdAt')).toBe('createdAt');
    expect(rejectionField('props.amount')).toBe('props');
    expect(rejectionField('props["a b"]')).toBe('props');
    expect(rejectionField('')).toBe('(event)');
    expect(rejectionField('colour')).toBe('(other)');
    expect(rejectionField('el[3].ct')).toBe('(other)');
    expect(rejectionField('x'.repeat(5000))).toBe('(other)');
  });

  it('only ever answers one of the bounded values', () => {
    for (const field of ['eventId', 'a.b.c', '[0]', 'userId.x', '__proto__', 'constructor']) {
      expect(EVENT_FIELDS).toContain(rejectionField(field));
    }
  });
});

describe('MetricTally', () => {
  it('adds counts per metric and one per field of each rejected event', () => {
    // prepare
    const tally = new MetricTally();

    // act
    tally.add({ EventsAccepted: 2, EventsRejected: 1 });
    tally.add({ EventsAccepted: 3, PoisonRecords: 0 });
    tally.addRejectedFields(['props.a', 'props.b', 'createdAt']);
    tally.addRejectedFields(['props']);

    // assess
    expect(tally.count('EventsAccepted')).toBe(5);
    expect(tally.count('EventsRejected')).toBe(1);
    expect(tally.count('PoisonRecords')).toBe(0);
    expect(Object.fromEntries(tally.rejectedByField())).toEqual({ props: 2, createdAt: 1 });
  });
});

describe('meteredEntry', () => {
  const saved = { ...process.env };
  beforeEach(() => {
    process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
    process.env.POWERTOOLS_METRICS_NAMESPACE = metricsNamespace('test');
    delete process.env.POWERTOOLS_DEV;
    delete process.env.POWERTOOLS_METRICS_DISABLED;
  });
  afterEach(() => {
    process.env = { ...saved };
  });

  it('publishes the service metrics (zeros included) and one line per rejected field after every invocation', async () => {
    // prepare
    const handler = meteredEntry<number, string>('ingest', (_logger, metrics) => async (n) => {
      metrics.add({ EventsAccepted: n, EventsRejected: 1 });
      metrics.addRejectedFields(['props.x']);
      return 'done';
    });

    // act
    const first = await emfWrittenBy(() => handler(4));
    const second = await emfWrittenBy(() => handler(1));

    // assess
    expect(first).toHaveLength(2);
    const main = first[0] ?? {};
    expect(directiveOf(main)).toEqual({
      Namespace: 'UserBehaviorAnalytics/test',
      Dimensions: [['service']],
      Metrics: expect.arrayContaining([
        { Name: 'EventsAccepted', Unit: 'Count' },
        { Name: 'EventsRejected', Unit: 'Count' },
        { Name: 'StreamFailures', Unit: 'Count' },
      ]) as unknown,
    });
    expect(main).toMatchObject({ service: 'ingest', EventsAccepted: 4, EventsRejected: 1, StreamFailures: 0 });
    const byField = first[1] ?? {};
    expect(directiveOf(byField).Dimensions).toEqual([['service', 'field']]);
    expect(byField).toMatchObject({ service: 'ingest', field: 'props', EventsRejectedByField: 1 });
    // the tally starts from zero on the next invocation
    expect(second[0]).toMatchObject({ EventsAccepted: 1, EventsRejected: 1 });
  });

  it('publishes what was counted when the handler fails, and rethrows', async () => {
    // prepare
    const handler = meteredEntry<void, void>('reports', (_logger, metrics) => async () => {
      metrics.add({ ReportRunsFailed: 1 });
      throw new Error('query failed');
    });

    // act
    let thrown: unknown;
    const docs = await emfWrittenBy(() =>
      handler().catch((error: unknown) => {
        thrown = error;
      }),
    );

    // assess
    expect(thrown).toBeInstanceOf(Error);
    expect(docs[0]).toMatchObject({ service: 'reports', ReportRunsSucceeded: 0, ReportRunsFailed: 1 });
  });

  it('refuses to start without a namespace, naming the variable', async () => {
    // prepare
    delete process.env.POWERTOOLS_METRICS_NAMESPACE;
    const handler = meteredEntry<void, string>('windows', () => async () => 'x');

    // act + assess
    await expect(handler()).rejects.toThrow('invalid metrics configuration: POWERTOOLS_METRICS_NAMESPACE: is required');
  });
});
