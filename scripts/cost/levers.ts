/**
 * The levers of docs/cost.md, measured with the model: each is a change to a stage's entry (or to
 * how producers batch), synthesized in-process (Lambda code not bundled: the model reads no
 * code) and priced at the built-in workloads. `npm run cost -- --levers` prints the table.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Duration } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { buildDashboardSync } from '../../dashboard/build';
import { addStage } from '../../lib/analytics-app';
import type { StageConfig } from '../../lib/config/stage-config';
import { loadCloudAssembly } from '../../local/template/assembly';
import type { Inputs } from './inputs';
import { estimate, type Workload } from './model';
import { readDeployment } from './template';

/** A change to a stage entry, or to the workload (how producers send), that the model can price. */
export interface Lever {
  readonly name: string;
  readonly config?: (config: StageConfig, workload: Workload, inputs: Inputs) => StageConfig;
  readonly workload?: (workload: Workload) => Workload;
}

/**
 * Shards a provisioned stream needs for `workload` with 20 % headroom: per shard 1,000 records/s
 * and 1 MiB/s in, 2 MiB/s out shared by the three readers.
 */
export function shardsNeeded(workload: Workload, inputs: Inputs): number {
  const events = workload.requestsPerSecond * workload.eventsPerRequest;
  const bytes = events * (workload.eventBytes + inputs.figure('stream.overheadBytesPerEvent'));
  const need = Math.max(events / 1000, bytes / 2 ** 20, (3 * bytes) / 2 ** 21);
  return Math.max(1, Math.ceil(need * 1.2));
}

export const LEVERS: readonly Lever[] = [
  { name: 'as configured' },
  {
    name: 'provisioned stream sized to the workload',
    config: (c, w, inputs) => ({ ...c, stream: { ...c.stream, capacity: { mode: 'PROVISIONED', shardCount: shardsNeeded(w, inputs) } } }),
  },
  {
    name: 'consumers batching window 10 s',
    config: (c) => ({
      ...c,
      analytics: {
        ...c.analytics,
        maxBatchingWindow: Duration.seconds(10),
        realtimeMaxBatchingWindow: Duration.seconds(Math.max(10, c.analytics.realtimeMaxBatchingWindow.toSeconds())),
      },
    }),
  },
  { name: 'stream retention 24 h', config: (c) => ({ ...c, stream: { ...c.stream, retention: Duration.hours(24) } }) },
  { name: 'log retention 1 month', config: (c) => ({ ...c, logRetention: RetentionDays.ONE_MONTH }) },
  { name: '100 events per request', workload: (w) => batchedBy100(w) },
];

/** The same events sent 100 per request (workloads already sending 100 or more are unchanged). */
function batchedBy100(w: Workload): Workload {
  if (w.eventsPerRequest >= 100) return w;
  return { ...w, requestsPerSecond: (w.requestsPerSecond * w.eventsPerRequest) / 100, eventsPerRequest: 100 };
}

/** Every lever together. */
const ALL: Lever = {
  name: 'all of the above',
  config: (c, w, inputs) => LEVERS.reduce((acc, l) => (l.config ? l.config(acc, w, inputs) : acc), c),
  workload: (w) => LEVERS.reduce((acc, l) => (l.workload ? l.workload(acc) : acc), w),
};

/**
 * The monthly total of each lever (rows) at each workload (columns) for `config`, synthesizing
 * into temporary folders removed afterwards. `context` is cdk.json's context (feature flags).
 */
export function measureLevers(
  config: StageConfig,
  workloads: readonly Workload[],
  inputs: Inputs,
  context: Record<string, unknown>,
): Array<{ lever: string; totals: number[] }> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'uba-levers-'));
  try {
    const dist = buildDashboardSync(path.join(tmp, 'dashboard')).outDir;
    return [...LEVERS, ALL].map((lever) => ({
      lever: lever.name,
      totals: workloads.map((w, i) => {
        const app = new App({
          outdir: path.join(tmp, `${lever.name.replace(/\W+/g, '-')}-${i}`),
          context: { ...context, 'aws:cdk:bundling-stacks': [] },
        });
        addStage(app, lever.config ? lever.config(config, w, inputs) : config, dist);
        const deployment = readDeployment(loadCloudAssembly(app.synth().directory).stacks);
        return estimate(deployment, lever.workload ? lever.workload(w) : w, inputs).monthlyUsd;
      }),
    }));
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
