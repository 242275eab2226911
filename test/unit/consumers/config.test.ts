import { loadConsumerConfig } from '../../../lambdas/consumers/config';

/** The environment the CDK construct sets, with the defaults left out. */
const anEnv = (overrides: Record<string, string | undefined> = {}): Record<string, string | undefined> => ({
  RESULTS_TABLE: 'uba-dev-results',
  ALERTS_TOPIC_ARN: 'arn:aws:sns:us-east-1:000000000000:uba-dev-alerts',
  ANALYTICS_CONFIG: JSON.stringify({ metrics: { timeZone: 'Asia/Shanghai' }, paths: { timeZone: 'Asia/Shanghai' } }),
  STAGE: 'dev',
  ...overrides,
});

describe('loadConsumerConfig', () => {
  it('reads the required variables and fills in the defaults', () => {
    // prepare
    const env = anEnv();

    // act
    const config = loadConsumerConfig(env);

    // assess
    expect(config).toMatchObject({
      tableName: 'uba-dev-results',
      alertsTopicArn: 'arn:aws:sns:us-east-1:000000000000:uba-dev-alerts',
      stage: 'dev',
      pathChunks: 4,
      sessionSlices: 4,
      resultRetentionDays: 35,
      quarantineRetentionDays: 14,
    });
    expect(config.analytics.metrics.timeZone).toBe('Asia/Shanghai');
    expect(config.analytics.windowRules.map((rule) => rule.id)).toEqual(['warnings-per-action', 'recharge-failures-per-province']);
  });

  it('takes the optional numbers when given', () => {
    // prepare
    const env = anEnv({ PATH_CHUNKS: '8', SESSION_SLICES: '16', RESULT_RETENTION_DAYS: '90', QUARANTINE_RETENTION_DAYS: '7' });

    // act
    const config = loadConsumerConfig(env);

    // assess
    expect(config).toMatchObject({ pathChunks: 8, sessionSlices: 16, resultRetentionDays: 90, quarantineRetentionDays: 7 });
  });

  it('names every bad variable at once, including fields inside ANALYTICS_CONFIG', () => {
    // prepare
    const env = anEnv({
      RESULTS_TABLE: undefined,
      STAGE: ' ',
      PATH_CHUNKS: 'four',
      SESSION_SLICES: '0',
      ANALYTICS_CONFIG: JSON.stringify({ metrics: { timeZone: 'Mars/Olympus' }, paths: { timeZone: 'Asia/Shanghai' } }),
    });

    // act
    const load = () => loadConsumerConfig(env);

    // assess
    expect(load).toThrow(/^invalid consumer configuration: /);
    expect(load).toThrow(/RESULTS_TABLE: is required/);
    expect(load).toThrow(/STAGE: is required/);
    expect(load).toThrow(/PATH_CHUNKS: must be a whole number/);
    expect(load).toThrow(/SESSION_SLICES: must be at least 1/);
    expect(load).toThrow(/ANALYTICS_CONFIG\.metrics\.timeZone: must be an IANA time zone/);
  });

  it('refuses ANALYTICS_CONFIG that is not JSON, and slices + chunks that cannot fit one transaction', () => {
    // prepare
    const notJson = anEnv({ ANALYTICS_CONFIG: '{nope' });
    const tooMany = anEnv({ SESSION_SLICES: '64', PATH_CHUNKS: '64' });

    // act
    const loads = [() => loadConsumerConfig(notJson), () => loadConsumerConfig(tooMany)];

    // assess
    expect(loads[0]).toThrow(/ANALYTICS_CONFIG\.\(root\): not JSON/);
    expect(loads[1]).toThrow(/SESSION_SLICES: SESSION_SLICES \+ PATH_CHUNKS \+ 1 must be at most 100/);
    expect(() => loadConsumerConfig(anEnv({ ANALYTICS_CONFIG: undefined }))).toThrow(/ANALYTICS_CONFIG: is required/);
  });
});
