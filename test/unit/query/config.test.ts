import { loadConfig } from '../../../lambdas/query/config';

describe('loadConfig', () => {
  it('reads the table, time zone, stage and lake bucket', () => {
    // act
    const config = loadConfig({ RESULTS_TABLE: 'uba-dev-results', TIME_ZONE: 'Asia/Shanghai', STAGE: 'dev', LAKE_BUCKET: 'lake' });

    // assess
    expect(config).toEqual({ tableName: 'uba-dev-results', timeZone: 'Asia/Shanghai', stage: 'dev', lakeBucket: 'lake' });
  });

  it('names every missing or bad variable', () => {
    // act
    const act = () => loadConfig({ TIME_ZONE: 'Mars/Olympus', STAGE: ' ' });

    // assess
    expect(act).toThrow(
      'invalid query configuration: RESULTS_TABLE: is required; TIME_ZONE: must be an IANA time zone such as Asia/Shanghai; STAGE: is required; LAKE_BUCKET: is required',
    );
  });
});
