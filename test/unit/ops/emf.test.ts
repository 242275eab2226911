import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { BusinessTotals, parseEmfLine } from '../../../scripts/ops/emf';

/** The lines Powertools Metrics writes to stdout while `run` runs. */
function stdoutOf(run: () => void): string[] {
  const lines: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(
      ...String(chunk)
        .split('\n')
        .filter((line) => line !== ''),
    );
    return true;
  });
  try {
    run();
  } finally {
    spy.mockRestore();
  }
  return lines;
}

describe('EMF lines', () => {
  const saved = { ...process.env };
  beforeEach(() => {
    delete process.env.POWERTOOLS_DEV;
    delete process.env.POWERTOOLS_METRICS_DISABLED;
  });
  afterEach(() => {
    process.env = { ...saved };
  });

  it('reads what Powertools writes, behind the local runtime prefix, and adds it up per namespace', () => {
    // prepare
    const lines = stdoutOf(() => {
      const ingest = new Metrics({ namespace: 'UserBehaviorAnalytics/dev', serviceName: 'ingest' });
      ingest.addMetric('EventsAccepted', MetricUnit.Count, 7);
      ingest.addMetric('EventsRejected', MetricUnit.Count, 2);
      ingest.publishStoredMetrics();
      const single = ingest.singleMetric();
      single.addDimension('field', 'createdAt');
      single.addMetric('EventsRejectedByField', MetricUnit.Count, 2);
      const realtime = new Metrics({ namespace: 'UserBehaviorAnalytics/dev', serviceName: 'realtime' });
      realtime.addMetric('PoisonRecords', MetricUnit.Count, 1);
      realtime.addMetric('AlertsRaised', MetricUnit.Count, 3);
      realtime.publishStoredMetrics();
      const other = new Metrics({ namespace: 'UserBehaviorAnalytics/prod', serviceName: 'ingest' });
      other.addMetric('EventsAccepted', MetricUnit.Count, 100);
      other.publishStoredMetrics();
    });
    const totals = new BusinessTotals();

    // act
    const taken = [
      ...lines.map((line) => totals.addLine(`2026-01-01T00:00:00.000Z [uba-dev-api-Ingest] ${line}`, 'UserBehaviorAnalytics/dev')),
      totals.addLine('[uba-dev-api-Ingest] {"level":"INFO","message":"request handled"}', 'UserBehaviorAnalytics/dev'),
      totals.addLine('[x] {"_aws": not json', 'UserBehaviorAnalytics/dev'),
    ];

    // assess
    expect(taken).toEqual([true, true, true, false, false, false]);
    expect(parseEmfLine(lines[1] ?? '')).toEqual({
      namespace: 'UserBehaviorAnalytics/dev',
      dimensions: { service: 'ingest', field: 'createdAt' },
      values: { EventsRejectedByField: 2 },
    });
    expect(totals.summary()).toBe('accepted 7, rejected 2, poison 1, late 0, alerts 3');
    expect(Object.fromEntries(totals.rejectedByField())).toEqual({ createdAt: 2 });
  });
});
