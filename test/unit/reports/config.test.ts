import { loadReportsConfig } from '../../../lambdas/reports/config';
import { QUERY_NAMES } from '../../../lambdas/reports/queries';

const ids = JSON.stringify(Object.fromEntries(QUERY_NAMES.map((n) => [n, `id-${n}`])));

describe('loadReportsConfig', () => {
  it('reads the bucket, zone, database, workgroup and named query ids', () => {
    const config = loadReportsConfig({
      LAKE_BUCKET: 'lake',
      TIME_ZONE: 'Asia/Shanghai',
      GLUE_DATABASE: 'uba_dev_lake',
      WORK_GROUP: 'uba-dev-reports',
      NAMED_QUERIES: ids,
    });
    expect(config).toEqual({
      bucket: 'lake',
      timeZone: 'Asia/Shanghai',
      database: 'uba_dev_lake',
      workGroup: 'uba-dev-reports',
      namedQueries: JSON.parse(ids),
    });
  });

  it('names every missing or bad variable', () => {
    expect(() =>
      loadReportsConfig({ TIME_ZONE: 'Mars/Olympus', GLUE_DATABASE: 'db', WORK_GROUP: 'wg', NAMED_QUERIES: '{"dau":"x"}' }),
    ).toThrow(
      `invalid reports configuration: LAKE_BUCKET: is required; TIME_ZONE: must be an IANA time zone such as Asia/Shanghai; NAMED_QUERIES: must name the id of every query (${QUERY_NAMES.join(', ')})`,
    );
    expect(() =>
      loadReportsConfig({ LAKE_BUCKET: 'l', TIME_ZONE: 'UTC', GLUE_DATABASE: 'db', WORK_GROUP: 'wg', NAMED_QUERIES: '{' }),
    ).toThrow('NAMED_QUERIES: must be JSON');
  });
});
