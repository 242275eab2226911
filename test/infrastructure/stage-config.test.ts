import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import {
  checkAlarmThresholds,
  checkFrontDoor,
  checkProducers,
  checkRealtimeBatchingWindow,
  STAGE_NAMES,
  stageConfig,
  UnknownStageError,
} from '../../lib/config/stage-config';

describe('stage config', () => {
  it('defaults to dev', () => {
    expect(stageConfig(undefined).stage).toBe('dev');
  });

  it.each(STAGE_NAMES)('%s has a prefix and tags naming the stage and project', (name) => {
    const config = stageConfig(name);
    expect(config.prefix).toBe(`uba-${name}`);
    expect(config.tags).toEqual({ project: 'uba', stage: name });
    expect(config.ingest.maxEventsPerRequest).toBeLessThanOrEqual(500);
  });

  it('rejects an unknown stage with the list of valid ones', () => {
    expect(() => stageConfig('staging')).toThrow(UnknownStageError);
    expect(() => stageConfig('staging')).toThrow('Valid stages: dev, uat, prod');
  });

  it('destroys dev data but retains prod data', () => {
    expect(stageConfig('dev').removalPolicy).toBe(RemovalPolicy.DESTROY);
    expect(stageConfig('prod').removalPolicy).toBe(RemovalPolicy.RETAIN);
  });

  it('requires MFA in prod only, and shorter tokens there', () => {
    expect(stageConfig('prod').identity.mfa).toBe('REQUIRED');
    expect(stageConfig('dev').identity.mfa).toBe('OPTIONAL');
    expect(stageConfig('prod').identity.tokenValidity.toMinutes()).toBeLessThan(stageConfig('dev').identity.tokenValidity.toMinutes());
  });

  it('takes 1..20 distinct producer names usable as key names, naming the bad one', () => {
    expect(() => checkProducers('x', ['web', 'vending-2'])).not.toThrow();
    expect(() => checkProducers('x', [])).toThrow('stage x: ingest.producers must list 1..20 producers');
    expect(() => checkProducers('x', ['Web'])).toThrow('"Web" must be 1..32 lower-case letters, digits or dashes');
    expect(() => checkProducers('x', ['web', 'web'])).toThrow('names must be distinct');
  });
});

describe('realtime batching window', () => {
  it('takes 0..300 whole seconds, shorter than the iterator-age alarm', () => {
    const alarm = Duration.minutes(5);
    expect(() => checkRealtimeBatchingWindow('x', Duration.seconds(90), alarm)).not.toThrow();
    expect(() => checkRealtimeBatchingWindow('x', Duration.seconds(0), alarm)).not.toThrow();
    expect(() => checkRealtimeBatchingWindow('x', Duration.seconds(301), Duration.minutes(10))).toThrow(
      'stage x: analytics.realtimeMaxBatchingWindow must be a whole number of seconds in 0..300 (got 301)',
    );
    expect(() => checkRealtimeBatchingWindow('x', Duration.millis(1500), alarm)).toThrow('got 1.5');
    expect(() => checkRealtimeBatchingWindow('x', Duration.seconds(120), Duration.minutes(2))).toThrow(
      'analytics.realtimeMaxBatchingWindow (120 s) must be shorter than analytics.iteratorAgeAlarm (120 s)',
    );
  });

  it.each(STAGE_NAMES)('%s: the window fits', (stage) => {
    const a = stageConfig(stage).analytics;
    expect(a.realtimeMaxBatchingWindow.toSeconds()).toBeLessThan(a.iteratorAgeAlarm.toSeconds());
  });
});

describe('alarm thresholds', () => {
  const dev = stageConfig('dev');
  const check = (change: Partial<typeof dev.monitoring>) => () =>
    checkAlarmThresholds({ ...dev.monitoring, ...change }, dev.lake.bufferInterval);

  it.each(STAGE_NAMES)('%s: its thresholds pass the check, with lake freshness above its buffer interval', (name) => {
    const config = stageConfig(name);
    expect(() => checkAlarmThresholds(config.monitoring, config.lake.bufferInterval)).not.toThrow();
    expect(config.monitoring.firehoseFreshness.toSeconds()).toBeGreaterThan(config.lake.bufferInterval.toSeconds());
  });

  it('names the field and the reason of a bad threshold', () => {
    expect(check({ firehoseFreshness: Duration.seconds(60) })).toThrow(
      "monitoring.firehoseFreshness: must be longer than the lake's buffer interval (60 s)",
    );
    expect(check({ datapointsToAlarm: 4, evaluationPeriods: 3 })).toThrow(
      'monitoring.datapointsToAlarm: must be a whole number from 1 to evaluationPeriods (3)',
    );
    expect(check({ evaluationPeriods: 0 })).toThrow('monitoring.evaluationPeriods');
    expect(check({ period: Duration.seconds(90) })).toThrow('monitoring.period: must be a whole number of minutes');
    expect(check({ firehoseDeliverySuccessBelow: 1.5 })).toThrow('monitoring.firehoseDeliverySuccessBelow: must be in (0, 1]');
    expect(check({ api4xxErrorPercent: 100 })).toThrow('monitoring.api4xxErrorPercent');
    expect(check({ albProducer4xxPercent: 100 })).toThrow('monitoring.albProducer4xxPercent: must be a percentage from 0 to below 100');
    expect(check({ albElb5xxErrors: -1 })).toThrow('monitoring.albElb5xxErrors: must be a number ≥ 0');
    expect(check({ consumerErrors: -1 })).toThrow('monitoring.consumerErrors: must be a number ≥ 0');
    expect(check({ poisonRecords: Number.NaN })).toThrow('monitoring.poisonRecords: must be a number ≥ 0');
  });
});

describe('ingest.frontDoor', () => {
  const alb = {
    kind: 'alb' as const,
    certificateArnParameter: '/uba/x/ingest/certificate-arn',
    domainNameParameter: '/uba/x/ingest/domain-name',
    requestsPerMinutePerProducer: 600,
    keylessRequestsPerMinutePerIp: 60,
    keyCacheTtl: Duration.minutes(5),
  };

  it('is the REST API in dev and uat, and a load balancer in prod', () => {
    expect(stageConfig('dev').ingest.frontDoor).toEqual({ kind: 'rest' });
    expect(stageConfig('uat').ingest.frontDoor).toEqual({ kind: 'rest' });
    expect(stageConfig('prod').ingest.frontDoor.kind).toBe('alb');
  });

  it('accepts a valid load-balancer front door', () => {
    expect(() => checkFrontDoor('x', alb, 1_000_000)).not.toThrow();
    expect(() => checkFrontDoor('x', { kind: 'rest' }, 10 * 1024 * 1024)).not.toThrow();
  });

  it.each([
    [{ ...alb, certificateArnParameter: 'no-slash' }, 'ingest.frontDoor.certificateArnParameter: must be an SSM parameter name'],
    [{ ...alb, domainNameParameter: '/with space' }, 'ingest.frontDoor.domainNameParameter: must be an SSM parameter name'],
    [{ ...alb, requestsPerMinutePerProducer: 9 }, 'ingest.frontDoor.requestsPerMinutePerProducer: must be a whole number from 10'],
    [{ ...alb, requestsPerMinutePerProducer: 10.5 }, 'ingest.frontDoor.requestsPerMinutePerProducer'],
    [{ ...alb, keylessRequestsPerMinutePerIp: 0 }, 'ingest.frontDoor.keylessRequestsPerMinutePerIp: must be a whole number from 10'],
    [{ ...alb, keyCacheTtl: Duration.hours(2) }, 'ingest.frontDoor.keyCacheTtl: must be from 1 second to 1 hour'],
  ])('refuses %o naming the field', (frontDoor, message) => {
    expect(() => checkFrontDoor('x', frontDoor, 1_000_000)).toThrow(`stage x: ${message}`);
  });

  it('refuses a body limit over what the load balancer passes to Lambda', () => {
    expect(() => checkFrontDoor('x', alb, 1_000_001)).toThrow(
      'stage x: ingest.maxBodyBytes: must be at most 1000000 with the alb front door',
    );
  });
});
