import { RemovalPolicy } from 'aws-cdk-lib';
import { STAGE_NAMES, stageConfig, UnknownStageError } from '../../lib/config/stage-config';

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
});
