import { bucketEnd, bucketStart, callsFor, checkFunnels, contiguousRuns, planReports } from '../../../lambdas/reports/plan';
import { arrivalDaysOf, JobInputError } from '../../../lambdas/reports/job';
import {
  declaredParameters,
  executionParameters,
  QueryParameterError,
  renderQuerySql,
  sqlLiteral,
  unloadStatement,
} from '../../../lambdas/reports/queries';
import { cellOf, exportsOfRun, reportCsv, reportRows, ReportShapeError } from '../../../lambdas/reports/exports';
import { QUERY_NAMES } from '../../../lambdas/reports/queries';
import { readQuerySql } from '../../../lambdas/reports/sql-files';

const FUNNELS = { purchase: ['click', 'cart', 'buy'] };

describe('buckets and runs', () => {
  it('finds the Monday of a week and the first day of a month', () => {
    expect(bucketStart('week', '2024-06-02')).toBe('2024-05-27');
    expect(bucketEnd('week', '2024-05-27')).toBe('2024-06-02');
    expect(bucketStart('month', '2024-02-29')).toBe('2024-02-01');
    expect(bucketEnd('month', '2024-02-01')).toBe('2024-02-29');
  });

  it('groups consecutive buckets', () => {
    expect(contiguousRuns('day', ['2024-05-03', '2024-05-01', '2024-05-02', '2024-05-05', '2024-05-02'])).toEqual([
      ['2024-05-01', '2024-05-02', '2024-05-03'],
      ['2024-05-05'],
    ]);
    expect(contiguousRuns('week', ['2024-05-27', '2024-06-03', '2024-06-17'])).toEqual([['2024-05-27', '2024-06-03'], ['2024-06-17']]);
  });
});

describe('planReports', () => {
  const plan = planReports(['2024-05-31', '2024-06-01'], ['2024-05-01', '2024-05-30', '2024-05-31', '2024-06-01', '2024-06-20']);
  const of = (report: string) => plan.filter((r) => r.report === report);

  it('recomputes the changed days of the day reports in one query per run', () => {
    expect(of('dau')).toEqual([
      {
        report: 'dau',
        bucket: 'day',
        buckets: ['2024-05-31', '2024-06-01'],
        calls: [{ query: 'dau', values: { from: '2024-05-31', to: '2024-06-01' } }],
      },
    ]);
    expect(of('funnel')[0].calls).toEqual([{ query: 'funnel', values: { from: '2024-05-31', to: '2024-06-01' } }]);
  });

  it('recomputes the weeks and months that hold them', () => {
    expect(of('wau').map((r) => [r.buckets, r.calls[0].values])).toEqual([[['2024-05-27'], { from: '2024-05-27', to: '2024-06-02' }]]);
    expect(of('mau').map((r) => [r.buckets, r.calls[0].values])).toEqual([
      [['2024-05-01', '2024-06-01'], { from: '2024-05-01', to: '2024-06-30' }],
    ]);
  });

  it('recomputes retention for held cohort days from 30 days before to the last day held', () => {
    expect(of('retention').map((r) => r.buckets)).toEqual([['2024-05-01'], ['2024-05-30', '2024-05-31', '2024-06-01'], ['2024-06-20']]);
  });

  it('recomputes the Sankey of the neighbouring days that hold events', () => {
    expect(of('sankey-daily')).toEqual([
      {
        report: 'sankey-daily',
        bucket: 'day',
        buckets: ['2024-05-30', '2024-05-31', '2024-06-01'],
        calls: [
          { query: 'sankey-daily', values: { load_from: '2024-05-29', load_to: '2024-06-02', from: '2024-05-30', to: '2024-06-01' } },
        ],
      },
    ]);
  });

  it('plans nothing when no day changed', () => {
    expect(planReports([], ['2024-05-01'])).toEqual([]);
  });

  it('widens a range to whole weeks for the report command', () => {
    expect(callsFor('wau', '2024-05-29', '2024-06-04')).toEqual([{ query: 'wau', values: { from: '2024-05-27', to: '2024-06-09' } }]);
  });
});

describe('funnels', () => {
  it('rejects repeated actions, too many steps and bad names', () => {
    expect(() => checkFunnels({ a: ['x', 'x'] })).toThrow('each action may appear once');
    expect(() => checkFunnels({ a: ['1', '2', '3', '4', '5', '6', '7'] })).toThrow('1..6 steps');
    expect(() => checkFunnels({ 'a b': ['x'] })).toThrow('funnel name');
    expect(() => checkFunnels(FUNNELS)).not.toThrow();
  });
});

describe('job input', () => {
  const now = new Date('2024-05-28T16:30:00Z'); // 00:30 on the 29th in Asia/Shanghai
  it('defaults to yesterday in the stage zone', () => {
    expect(arrivalDaysOf({}, now, 'Asia/Shanghai')).toEqual(['2024-05-28']);
    expect(arrivalDaysOf(undefined, now, 'UTC')).toEqual(['2024-05-27']);
  });
  it('takes a day or a range', () => {
    expect(arrivalDaysOf({ date: '2024-02-29' }, now, 'UTC')).toEqual(['2024-02-29']);
    expect(arrivalDaysOf({ from: '2024-02-28', to: '2024-03-01' }, now, 'UTC')).toEqual(['2024-02-28', '2024-02-29', '2024-03-01']);
  });
  it('names the bad field', () => {
    expect(() => arrivalDaysOf({ date: '2024-02-30' }, now, 'UTC')).toThrow(new JobInputError('date: must be a day written YYYY-MM-DD'));
    expect(() => arrivalDaysOf({ from: '2024-03-02', to: '2024-03-01' }, now, 'UTC')).toThrow('to: must not be before from');
    expect(() => arrivalDaysOf({ from: '2024-03-02' }, now, 'UTC')).toThrow('to: from and to go together');
    expect(() => arrivalDaysOf({ days: 3 }, now, 'UTC')).toThrow(JobInputError);
  });
});

describe('query parameters', () => {
  const sql = '-- x\n-- params: from, to, from\nSELECT ? , ?, ?';
  it('reads the declared names and quotes the values in placeholder order', () => {
    expect(declaredParameters(sql)).toEqual(['from', 'to', 'from']);
    expect(executionParameters('q', sql, { from: "a'b", to: 'c' })).toEqual(["'a''b'", "'c'", "'a''b'"]);
  });
  it('rejects a missing or unknown value', () => {
    expect(() => executionParameters('q', sql, { from: 'a' })).toThrow(new QueryParameterError('query q: parameter to has no value'));
    expect(() => executionParameters('q', sql, { from: 'a', to: 'b', tz: 'c' })).toThrow('no parameter named tz');
  });
  it('writes the stage constants into the text', () => {
    const sql = "SELECT '{{time_zone}}' FROM (VALUES {{funnel_steps}}) AS s (f, n, a)";
    expect(renderQuerySql(sql, { timeZone: 'Asia/Shanghai', funnels: { buy: ['cart', "it's"], b: ['x'] } })).toBe(
      "SELECT 'Asia/Shanghai' FROM (VALUES ('buy', 1, 'cart'), ('buy', 2, 'it''s'), ('b', 1, 'x')) AS s (f, n, a)",
    );
    expect(() => renderQuerySql(sql, { timeZone: "UTC' OR 1=1 --", funnels: FUNNELS })).toThrow('is not an IANA zone name');
    expect(() => renderQuerySql('{{nope}}', { timeZone: 'UTC', funnels: FUNNELS })).toThrow('unknown placeholder {{nope}}');
    expect(() => renderQuerySql(sql, { timeZone: 'UTC', funnels: {} })).toThrow('at least one funnel');
  });

  it('places parameters only in WHERE clauses, as Athena requires', () => {
    for (const name of QUERY_NAMES) {
      const lines = readQuerySql(name)
        .split('\n')
        .filter((l) => !l.trim().startsWith('--') && l.includes('?'));
      for (const line of lines) expect(`${name}: ${line}`).toMatch(/(WHERE|AND|BETWEEN) .*\?/);
    }
  });

  it('wraps a SELECT in UNLOAD', () => {
    expect(unloadStatement('SELECT 1', 's3://b/p/', 'event_day')).toBe(
      `UNLOAD (\nSELECT 1\n) TO 's3://b/p/' WITH (format = 'PARQUET', compression = 'SNAPPY', partitioned_by = ARRAY['event_day'])`,
    );
    expect(sqlLiteral("it's")).toBe("'it''s'");
  });
});

describe('exports', () => {
  it('types cells by their SQL type', () => {
    expect(cellOf('3', 'bigint', 'n')).toBe(3);
    expect(cellOf('1.500000', 'decimal', 'n')).toBe(1.5);
    expect(cellOf('007', 'varchar', 'n')).toBe('007');
    expect(cellOf(null, 'bigint', 'n')).toBeNull();
    expect(() => cellOf('x', 'double', 'n')).toThrow(ReportShapeError);
  });

  it('rejects a result without the report columns', () => {
    expect(() => reportRows('dau', { columns: [{ name: 'users', type: 'bigint' }], rows: [] })).toThrow('columns users are not day,users');
  });

  it('quotes CSV fields and leaves nulls empty', () => {
    expect(reportCsv(['a', 'b'], [{ a: 'x,"y"', b: null }])).toBe('a,b\r\n"x,""y""",\r\n');
  });

  it('writes negative numbers as numbers and neutralizes text that starts like a formula', () => {
    expect(reportCsv(['value', 'min_duration_ms'], [{ value: '=HYPERLINK("x")', min_duration_ms: -5 }])).toBe(
      'value,min_duration_ms\r\n"\'=HYPERLINK(""x"")",-5\r\n',
    );
  });

  it('writes every bucket of a run, with no rows where none fall', () => {
    const run = { report: 'dau' as const, bucket: 'day' as const, buckets: ['2024-05-01', '2024-05-02'], calls: [] };
    const files = exportsOfRun(run, [{ day: '2024-05-02', users: 4 }]);
    expect(files.map((f) => [f.day, f.csv])).toEqual([
      ['2024-05-01', 'day,users\r\n'],
      ['2024-05-02', 'day,users\r\n2024-05-02,4\r\n'],
    ]);
    expect(JSON.parse(files[1].json)).toEqual({
      report: 'dau',
      from: '2024-05-02',
      to: '2024-05-02',
      columns: ['day', 'users'],
      rows: [{ day: '2024-05-02', users: 4 }],
    });
    expect(() => exportsOfRun(run, [{ day: '2024-05-03', users: 1 }])).toThrow(ReportShapeError);
  });
});
