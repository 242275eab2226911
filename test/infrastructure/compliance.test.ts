import { Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { addStage } from '../../lib/analytics-app';
import { STAGE_NAMES, stageConfig } from '../../lib/config/stage-config';
import { builtDashboard, synthWithGate } from './stage-app';

describe('compliance gate (cdk-nag AwsSolutions)', () => {
  it.each(STAGE_NAMES)('%s synthesizes with no unacknowledged finding', (stage) => {
    const { error, findings } = synthWithGate((app) => addStage(app, stageConfig(stage), builtDashboard()));
    expect(findings).toEqual([]);
    expect(error).toBeUndefined();
  });

  it('fails synth on a finding nobody acknowledged', () => {
    const { error, findings } = synthWithGate((app) => new s3.Bucket(new Stack(app, 'Careless'), 'OpenBucket'));
    expect(error?.message).toMatch(/AwsSolutions-S1/);
    const rules = findings.map((f) => f.split(' at ')[0]);
    expect(rules).toEqual(expect.arrayContaining(['AwsSolutions-S1', 'AwsSolutions-S10']));
  });
});
