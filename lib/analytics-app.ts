import { App, Stack, Tags } from 'aws-cdk-lib';
import type { StageConfig } from './config/stage-config';
import { applyDestroyRules } from './destroy';
import { AnalyticsStack } from './stacks/analytics-stack';
import { ApiStack } from './stacks/api-stack';
import { DashboardStack } from './stacks/dashboard-stack';
import { DataStack } from './stacks/data-stack';
import { IdentityStack } from './stacks/identity-stack';
import { MonitoringStack } from './stacks/monitoring-stack';
import { grantPeopleAccess, PeopleStack } from './stacks/people-stack';
import { ReportsStack } from './stacks/reports-stack';

/** The stacks of one stage, as synthesized into the app. */
export interface StageStacks {
  readonly data: DataStack;
  readonly identity: IdentityStack;
  readonly analytics: AnalyticsStack;
  readonly api: ApiStack;
  readonly dashboard: DashboardStack;
  readonly reports: ReportsStack;
  readonly people: PeopleStack;
  readonly monitoring: MonitoringStack;
}

/**
 * Adds the stacks of one stage to the app (the dashboard from its built files in `dashboardDist`), named `<prefix>-<part>` (`uba-dev-data`, `uba-dev-identity`, `uba-dev-analytics`, `uba-dev-api`, `uba-dev-reports`, `uba-dev-dashboard`, `uba-dev-people`, `uba-dev-monitoring`), all
 * tagged with the stage's tags. Stacks are top-level so `cdk deploy --all` selects them.
 */
export function addStage(app: App, config: StageConfig, dashboardDist: string): StageStacks {
  const stack = (part: string) => ({
    stackName: `${config.prefix}-${part}`,
    description: `User-behaviour analytics (${config.stage}): ${part}`,
  });
  const data = new DataStack(app, `${config.prefix}-data`, { ...stack('data'), config });
  const identity = new IdentityStack(app, `${config.prefix}-identity`, { ...stack('identity'), config });
  const analytics = new AnalyticsStack(app, `${config.prefix}-analytics`, { ...stack('analytics'), config, stream: data.events.stream });
  const api = new ApiStack(app, `${config.prefix}-api`, {
    ...stack('api'),
    config,
    stream: data.events.stream,
    results: analytics.results,
    pseudonymKey: data.pseudonymKey,
    userPool: identity.userPool,
  });
  const reports = new ReportsStack(app, `${config.prefix}-reports`, { ...stack('reports'), config });
  // Both import the lake bucket by its export name (see importLakeBucket).
  api.addStackDependency(data);
  reports.addStackDependency(data);
  const dashboard = new DashboardStack(app, `${config.prefix}-dashboard`, {
    ...stack('dashboard'),
    config,
    api: api.ingest.api,
    distDir: dashboardDist,
    userPool: identity.userPool,
    loginDomainUrl: identity.loginDomainUrl,
  });
  // The roles first; each stack then attaches what they may do on its own resources.
  const people = new PeopleStack(app, `${config.prefix}-people`, { ...stack('people'), config });
  // Reads names of the others' resources for its dashboard and alarms; nothing depends on it.
  const monitoring = new MonitoringStack(app, `${config.prefix}-monitoring`, {
    ...stack('monitoring'),
    config,
    alarmTopic: analytics.alarmTopic,
    resources: {
      api: api.ingest.api,
      apiAccessLogs: api.ingest.accessLogs,
      ingestFunction: api.ingest.appFunction.function,
      queryFunction: api.query.appFunction.function,
      stream: data.events.stream,
      deliveryStreamName: data.lake.deliveryStream.ref,
      consumers: [analytics.realtime, analytics.windows].map((consumer) => ({
        service: consumer.serviceName,
        function: consumer.appFunction.function,
        eventSourceMappingId: consumer.eventSource.eventSourceMappingId,
        deadLetterQueue: consumer.deadLetterQueue,
      })),
      resultsTable: analytics.results.table,
      topics: { Alerts: analytics.alertsTopic, Alarms: analytics.alarmTopic },
      reportsJob: reports.reports.job.function,
      reportsScheduleDeadLetters: reports.reports.deadLetterQueue,
      loadBalancer: api.ingest.loadBalancer && {
        loadBalancer: api.ingest.loadBalancer.loadBalancer,
        webAclMetricName: api.ingest.loadBalancer.firewall.metricName,
        rateRuleMetricName: api.ingest.loadBalancer.firewall.rateRuleMetricName,
        keylessRuleMetricName: api.ingest.loadBalancer.firewall.keylessRuleMetricName,
      },
    },
  });
  grantPeopleAccess(people.people.roles, { data, analytics, api, reports, dashboard, operationsOnly: [monitoring] }, config);
  // Every stack of the stage, including any added above this line: CDK's helper functions log
  // into log groups of the stack with the stage's retention; retained buckets keep their policies.
  for (const child of app.node.children) {
    if (Stack.isStack(child) && child.stackName.startsWith(`${config.prefix}-`)) {
      applyDestroyRules(child, { retention: config.logRetention, removalPolicy: config.removalPolicy });
    }
  }
  for (const [key, value] of Object.entries(config.tags)) Tags.of(app).add(key, value);
  return { data, identity, analytics, api, dashboard, reports, people, monitoring };
}
