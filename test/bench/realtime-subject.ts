/**
 * What the realtime profile of `npm run bench:realtime` runs: the realtime consumer's steps and
 * the test stage's dependencies. The bench loads this module as an esbuild bundle made the way
 * the Lambda functions are bundled (`lib/constructs/app-function.ts`), so the profile times the
 * code Lambda runs rather than tsx's per-file transform of it.
 */
export { decodeRecords } from '../../lambdas/analytics/records';
export { findErrorAlerts } from '../../lambdas/analytics/error-alerts';
export { aggregateMetrics, unmeasurableReason } from '../../lambdas/analytics/kpis';
export { countEdges, edgeOccurrences, routeEdges } from '../../lambdas/analytics/edges';
export { applyEdges, applyMetrics, createHandler, raiseErrorAlerts } from '../../lambdas/consumers/realtime';
export { aConsumerConfig, someDeps } from '../unit/consumers/factories';
