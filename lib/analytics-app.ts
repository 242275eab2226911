import { App, Tags } from 'aws-cdk-lib';
import type { StageConfig } from './config/stage-config';
import { AnalyticsStack } from './stacks/analytics-stack';
import { ApiStack } from './stacks/api-stack';
import { DashboardStack } from './stacks/dashboard-stack';
import { DataStack } from './stacks/data-stack';
import { grantPeopleAccess, PeopleStack } from './stacks/people-stack';
import { ReportsStack } from './stacks/reports-stack';

/** The stacks of one stage, as synthesized into the app. */
export interface StageStacks {
  readonly data: DataStack;
  readonly analytics: AnalyticsStack;
  readonly api: ApiStack;
  readonly dashboard: DashboardStack;
  readonly reports: ReportsStack;
  readonly people: PeopleStack;
}

/**
 * Adds the stacks of one stage to the app (the dashboard from its built files in `dashboardDist`), named `<prefix>-<part>` (`uba-dev-data`, `uba-dev-analytics`, `uba-dev-api`, `uba-dev-reports`, `uba-dev-dashboard`, `uba-dev-people`), all
 * tagged with the stage's tags. Stacks are top-level so `cdk deploy --all` selects them.
 */
export function addStage(app: App, config: StageConfig, dashboardDist: string): StageStacks {
  const stack = (part: string) => ({
    stackName: `${config.prefix}-${part}`,
    description: `User-behaviour analytics (${config.stage}): ${part}`,
  });
  const data = new DataStack(app, `${config.prefix}-data`, { ...stack('data'), config });
  const analytics = new AnalyticsStack(app, `${config.prefix}-analytics`, { ...stack('analytics'), config, stream: data.events.stream });
  const api = new ApiStack(app, `${config.prefix}-api`, {
    ...stack('api'),
    config,
    stream: data.events.stream,
    results: analytics.results,
    pseudonymKey: data.pseudonymKey,
  });
  const reports = new ReportsStack(app, `${config.prefix}-reports`, { ...stack('reports'), config, alarmTopic: analytics.alarmTopic });
  // Both import the lake bucket by its export name (see importLakeBucket).
  api.addStackDependency(data);
  reports.addStackDependency(data);
  const dashboard = new DashboardStack(app, `${config.prefix}-dashboard`, {
    ...stack('dashboard'),
    config,
    api: api.ingest.api,
    distDir: dashboardDist,
  });
  // The roles first; each stack then attaches what they may do on its own resources.
  const people = new PeopleStack(app, `${config.prefix}-people`, { ...stack('people'), config });
  grantPeopleAccess(people.people.roles, { data, analytics, api, reports, dashboard }, config);
  for (const [key, value] of Object.entries(config.tags)) Tags.of(app).add(key, value);
  return { data, analytics, api, dashboard, reports, people };
}
