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
      resultRetentionDays: 35,
      quarantineRetentionDays: 14,
    });
    expect(config.analytics.metrics.timeZone).toBe('Asia/Shanghai');
    expect(config.analytics.windowRules.map((rule) => rule.id)).toEqual(['warnings-per-action', 'recharge-failures-per-province']);
  });

  it('takes the optional numbers when given', () => {
    // prepare
    const env = anEnv({ RESULT_RETENTION_DAYS: '90', QUARANTINE_RETENTION_DAYS: '7' });

    // act
    const config = loadConsumerConfig(env);

    // assess
    expect(config).toMatchObject({ resultRetentionDays: 90, quarantineRetentionDays: 7 });
  });

  it('names every bad variable at once, including fields inside ANALYTICS_CONFIG', () => {
    // prepare
    const env = anEnv({
      RESULTS_TABLE: undefined,
      STAGE: ' ',
      RESULT_RETENTION_DAYS: 'four',
      QUARANTINE_RETENTION_DAYS: '0',
      ANALYTICS_CONFIG: JSON.stringify({ metrics: { timeZone: 'Mars/Olympus' }, paths: { timeZone: 'Asia/Shanghai' } }),
    });

    // act
    const load = () => loadConsumerConfig(env);

    // assess
    expect(load).toThrow(/^invalid consumer configuration: /);
    expect(load).toThrow(/RESULTS_TABLE: is required/);
    expect(load).toThrow(/STAGE: is required/);
    expect(load).toThrow(/RESULT_RETENTION_DAYS: must be a whole number/);
    expect(load).toThrow(/QUARANTINE_RETENTION_DAYS: must be at least 1/);
    expect(load).toThrow(/ANALYTICS_CONFIG\.metrics\.timeZone: must be an IANA time zone/);
  });

  it('refuses ANALYTICS_CONFIG that is not JSON or missing', () => {
    // prepare
    const notJson = anEnv({ ANALYTICS_CONFIG: '{nope' });

    // act
    const load = () => loadConsumerConfig(notJson);

    // assess
    expect(load).toThrow(/ANALYTICS_CONFIG\.\(root\): not JSON/);
    expect(() => loadConsumerConfig(anEnv({ ANALYTICS_CONFIG: undefined }))).toThrow(/ANALYTICS_CONFIG: is required/);
  });
});
