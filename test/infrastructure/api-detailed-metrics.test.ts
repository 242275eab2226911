import { Match } from 'aws-cdk-lib/assertions';
import { STAGE_NAMES, stageConfig } from '../../lib/config/stage-config';
import { synthStage } from './stage-app';

describe.each(STAGE_NAMES)('%s: the API stage publishes per-method metrics exactly where the stage config asks', (stage) => {
  it(`MetricsEnabled = ingest.detailedMetrics`, () => {
    // prepare
    const expected = stageConfig(stage).ingest.detailedMetrics;

    // act
    const { api } = synthStage(stage);

    // assess
    api.hasResourceProperties('AWS::ApiGateway::Stage', {
      MethodSettings: Match.arrayWith([Match.objectLike({ HttpMethod: '*', ResourcePath: '/*', MetricsEnabled: expected })]),
    });
  });
});

it('prod does without per-method metrics (56 custom metrics, $16.80 a month), dev keeps them', () => {
  expect(stageConfig('prod').ingest.detailedMetrics).toBe(false);
  expect(stageConfig('dev').ingest.detailedMetrics).toBe(true);
});
