import { Match } from 'aws-cdk-lib/assertions';
import { STAGE_NAMES, stageConfig } from '../../lib/config/stage-config';
import { synthStage } from './stage-app';

describe.each(STAGE_NAMES)('%s: the curated Parquet moves to Infrequent Access where the stage config asks', (stage) => {
  it('has a curated/ lifecycle rule exactly when lake.curatedInfrequentAccessAfter is set', () => {
    // prepare
    const after = stageConfig(stage).lake.curatedInfrequentAccessAfter;
    const rule = {
      Id: 'curated-tiering',
      Prefix: 'curated/',
      Status: 'Enabled',
      Transitions: [{ StorageClass: 'STANDARD_IA', TransitionInDays: after?.toDays() }],
    };

    // act
    const { data } = synthStage(stage);

    // assess
    const lake = Object.values(
      data.findResources('AWS::S3::Bucket', {
        Properties: { LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ Id: 'raw-tiering' })]) } },
      }),
    );
    expect(lake).toHaveLength(1);
    const rules = (lake[0].Properties as { LifecycleConfiguration: { Rules: unknown[] } }).LifecycleConfiguration.Rules;
    if (after === undefined) expect(rules).not.toContainEqual(expect.objectContaining({ Id: 'curated-tiering' }));
    else expect(rules).toContainEqual(rule);
  });
});
