import { RemovalPolicy } from 'aws-cdk-lib';
import { checkProducers, STAGE_NAMES, stageConfig, UnknownStageError } from '../../lib/config/stage-config';

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
