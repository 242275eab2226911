import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { visibleUnderProjection } from '../../../local/athena/engine';
import { parseUnload, SqlTranslationError, substituteParameters, TRINO_MACROS } from '../../../local/athena/translate';
import { nextFireTime, ScheduleExpressionError } from '../../../local/scheduler';

/**
 * One test per difference between Athena (Trino) and DuckDB that the report SQL meets, checking
 * that the local Athena gives Trino's answer (the expected values are Trino's, per its documentation).
 */
describe('Trino on DuckDB', () => {
  let instance: DuckDBInstance;
  let db: DuckDBConnection;
  const one = async (sql: string): Promise<unknown> => (await db.runAndReadAll(sql)).getRowsJson()[0]?.[0];

  beforeAll(async () => {
    instance = await DuckDBInstance.create(':memory:');
    db = await instance.connect();
    for (const macro of TRINO_MACROS) await db.run(macro.definition);
    await db.run("SET TimeZone = 'UTC'");
  });
  afterAll(() => {
    db.closeSync();
    instance.closeSync();
  });

  it('from_iso8601_timestamp reads an ISO instant; AT TIME ZONE then a date cast gives the local day', async () => {
    // Trino: date(from_iso8601_timestamp('2024-05-27T15:59:59.900Z') AT TIME ZONE 'Asia/Shanghai') = 2024-05-27 (23:59:59.9 local)
    expect(
      await one("SELECT CAST(CAST(from_iso8601_timestamp('2024-05-27T15:59:59.900Z') AT TIME ZONE 'Asia/Shanghai' AS date) AS varchar)"),
    ).toBe('2024-05-27');
    expect(
      await one("SELECT CAST(CAST(from_iso8601_timestamp('2024-05-27T16:00:00.000Z') AT TIME ZONE 'Asia/Shanghai' AS date) AS varchar)"),
    ).toBe('2024-05-28');
    expect(
      await one(
        "SELECT date_diff('millisecond', from_iso8601_timestamp('2024-05-27T15:59:59.900Z'), from_iso8601_timestamp('2024-05-27T16:00:00.000Z'))",
      ),
    ).toBe('100');
  });

  it('json_extract_scalar gives scalars as text, null for objects and missing fields', async () => {
    const doc = `'{"a":1,"b":"x","c":{"d":2},"e":null,"f":true}'`;
    expect(await one(`SELECT json_extract_scalar(${doc}, '$.a')`)).toBe('1');
    expect(await one(`SELECT json_extract_scalar(${doc}, '$.b')`)).toBe('x');
    expect(await one(`SELECT json_extract_scalar(${doc}, '$.f')`)).toBe('true');
    expect(await one(`SELECT json_extract_scalar(${doc}, '$.zz')`)).toBeNull();
    expect(await one(`SELECT json_extract_scalar(${doc}, '$.c')`)).toBeNull();
    expect(await one(`SELECT json_extract_scalar(${doc}, '$.c.d')`)).toBe('2');
    expect(await one(`SELECT json_extract_scalar(${doc}, '$.e')`)).toBeNull();
  });

  it('regexp_like matches anywhere unless anchored', async () => {
    expect(await one("SELECT regexp_like('20240527103000123xyz', '^[0-9]{17}')")).toBe(true);
    expect(await one("SELECT regexp_like('x20240527103000123', '^[0-9]{17}')")).toBe(false);
    expect(await one("SELECT regexp_like('abc123', '[0-9]')")).toBe(true);
  });

  it('array_join joins an ordered array_agg', async () => {
    expect(await one("SELECT array_join(array_agg(p ORDER BY s), ' -> ') FROM (VALUES (2, '/b'), (1, '/a'), (3, '/c')) AS t (s, p)")).toBe(
      '/a -> /b -> /c',
    );
  });

  it('date_trunc(week) cast to date is the Monday in both', async () => {
    expect(await one("SELECT CAST(CAST(date_trunc('week', CAST('2024-06-02' AS date)) AS date) AS varchar)")).toBe('2024-05-27');
  });

  it('a wall-clock text with a zone name casts to a timestamp with time zone', async () => {
    expect(
      await one(
        "SELECT date_diff('millisecond', TRY_CAST('2024-05-27 10:30:00.123 Asia/Shanghai' AS timestamp with time zone), TRY_CAST('2024-05-27 10:30:01.000 Asia/Shanghai' AS timestamp with time zone))",
      ),
    ).toBe('877');
    expect(await one("SELECT TRY_CAST('2024-13-27 10:30:00.123 Asia/Shanghai' AS timestamp with time zone)")).toBeNull();
  });
});

describe('ExecutionParameters', () => {
  it('replaces each ? in order, outside literals and comments', () => {
    const sql = '-- why? because\nSELECT \'?\' AS q, "a?" , ? , /* ? */ ?';
    expect(substituteParameters(sql, ["'x'", "'y'"])).toBe("-- why? because\nSELECT '?' AS q, \"a?\" , 'x' , /* ? */ 'y'");
  });
  it('rejects a count that does not match, as Athena does', () => {
    expect(() => substituteParameters('SELECT ?', [])).toThrow(SqlTranslationError);
    expect(() => substituteParameters('SELECT 1', ["'a'"])).toThrow('0 parameter placeholder(s) but 1 execution parameter(s)');
  });
});

describe('UNLOAD', () => {
  it('reads the query, the target and the partition columns', () => {
    const u = parseUnload(
      "UNLOAD (\nSELECT a, ')' AS b, event_day FROM (SELECT 1)\n) TO 's3://lake/curated/staging/x/' WITH (format = 'PARQUET', compression = 'SNAPPY', partitioned_by = ARRAY['event_day'])",
    );
    expect(u).toEqual({
      select: "\nSELECT a, ')' AS b, event_day FROM (SELECT 1)\n",
      target: 's3://lake/curated/staging/x/',
      format: 'PARQUET',
      partitionedBy: ['event_day'],
    });
    expect(parseUnload('SELECT 1')).toBeUndefined();
  });
  it('rejects formats the stand-in does not write', () => {
    expect(() => parseUnload("UNLOAD (SELECT 1) TO 's3://b/p/' WITH (format = 'JSON')")).toThrow("only format = 'PARQUET'");
  });
});

describe('partition projection', () => {
  const now = new Date('2024-05-28T04:00:00Z');
  const projection = {
    enabled: 'true',
    'dt.type': 'date',
    'dt.format': 'yyyy-MM-dd',
    'dt.range': 'NOW-3DAYS,NOW+1DAYS',
    'hour.type': 'integer',
    'hour.range': '0,23',
    'hour.digits': '2',
  };
  it('shows only partitions in the projected range', () => {
    expect(visibleUnderProjection(projection, { dt: '2024-05-25', hour: '00' }, now)).toBe(true);
    expect(visibleUnderProjection(projection, { dt: '2024-05-29', hour: '23' }, now)).toBe(true);
    expect(visibleUnderProjection(projection, { dt: '2024-05-24', hour: '00' }, now)).toBe(false);
    expect(visibleUnderProjection(projection, { dt: '2024-05-31', hour: '00' }, now)).toBe(false);
    expect(visibleUnderProjection(projection, { dt: '2024-05-27', hour: '7' }, now)).toBe(false);
    expect(visibleUnderProjection(undefined, { dt: 'anything' }, now)).toBe(true);
  });
});

describe('the local scheduler', () => {
  it('fires a cron at 00:30 in the schedule zone', () => {
    // 2024-05-28T16:29Z is 00:29 on the 29th in Shanghai.
    expect(nextFireTime('cron(30 0 * * ? *)', 'Asia/Shanghai', new Date('2024-05-28T16:29:00Z')).toISOString()).toBe(
      '2024-05-28T16:30:00.000Z',
    );
    expect(nextFireTime('cron(30 0 * * ? *)', 'Asia/Shanghai', new Date('2024-05-28T16:30:00Z')).toISOString()).toBe(
      '2024-05-29T16:30:00.000Z',
    );
    expect(nextFireTime('rate(5 minutes)', 'UTC', new Date('2024-05-28T00:00:00Z')).toISOString()).toBe('2024-05-28T00:05:00.000Z');
  });
  it('refuses what it cannot evaluate', () => {
    expect(() => nextFireTime('cron(0 12 ? * MON-FRI *)', 'UTC', new Date())).toThrow(ScheduleExpressionError);
    expect(() => nextFireTime('at(2024-05-28T00:00:00)', 'UTC', new Date())).toThrow('only cron(...) and rate(...)');
  });
});
