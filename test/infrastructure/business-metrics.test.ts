import { Template } from 'aws-cdk-lib/assertions';
import { METRIC_SERVICES } from '../../lambdas/shared/metrics';
import { synthStage } from './stage-app';

describe('business metrics: every function that writes them knows its stage namespace', () => {
  it.each(['dev', 'prod'] as const)(
    '%s: ingest, realtime, windows and reports write to UserBehaviorAnalytics/<stage> as their service',
    (stage) => {
      // prepare
      const { stacks } = synthStage(stage);
      const templates = [stacks.api, stacks.analytics, stacks.reports].map((stack) => Template.fromStack(stack));

      // act
      const environments = templates.flatMap((template) =>
        Object.values(template.findResources('AWS::Lambda::Function')).map(
          (fn) => (fn.Properties as { Environment?: { Variables?: Record<string, unknown> } }).Environment?.Variables ?? {},
        ),
      );
      const metered = environments.filter((vars) => vars.POWERTOOLS_METRICS_NAMESPACE !== undefined);

      // assess
      expect(metered.map((vars) => vars.POWERTOOLS_SERVICE_NAME).sort()).toEqual([...METRIC_SERVICES].sort());
      for (const vars of metered) expect(vars.POWERTOOLS_METRICS_NAMESPACE).toBe(`UserBehaviorAnalytics/${stage}`);
    },
  );
});
