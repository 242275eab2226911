/**
 * Exactly-once results on an at-least-once stream, on the local runtime: batches delivered three
 * times, writes failing part-way through a batch, a poison record, and a stop and restart under
 * load with --persist. Each run's results read through the API must equal the producer's truth.
 * Web traffic runs twice in each: page views with their steps (edge counters) and without (sessions).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { isDeepStrictEqual } from 'util';
import { PutRecordCommand } from '@aws-sdk/client-kinesis';
import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { DateTime } from 'luxon';
import type { EventInput } from '../../lambdas/shared/event';
import type { LocalRuntime } from '../../local/runtime';
import type { TruthFile } from '../../scripts/producer/run';
import type { AcceptedEvent } from '../../scripts/producer/truth';
import {
  allAlerts,
  explainEdges,
  metric,
  pathsOf,
  produce,
  startRuntime,
  total,
  totalsByValue,
  waitForConsumers,
  freePortBase,
} from './harness';

const ZONE = 'Asia/Shanghai';

/** Every event the producers saw accepted, by eventId, and the `onAccepted` hook that records them. */
function acceptedEvents(): {
  readonly accepted: Map<string, AcceptedEvent>;
  readonly onAccepted: (event: EventInput, seq: number) => void;
} {
  const accepted = new Map<string, AcceptedEvent>();
  return { accepted, onAccepted: (event, seq) => accepted.set(event.eventId, { event, seq }) };
}

/**
 * Compares what the API shows with the truths of the runs that fed it. When the edges differ, the
 * failure says which, and whether the lake (the stream's records) holds events the truth does
 * not, duplicates, or neither (the consumer counted differently).
 */
async function expectExactly(
  runtime: LocalRuntime,
  truths: readonly TruthFile[],
  accepted: ReadonlyMap<string, AcceptedEvent>,
): Promise<void> {
  expect(total(await metric(runtime, 'events'))).toBe(truths.reduce((n, t) => n + t.total, 0));
  const byAction: Record<string, number> = {};
  for (const t of truths) for (const [k, v] of Object.entries(t.byAction)) byAction[k] = (byAction[k] ?? 0) + v;
  expect(totalsByValue(await metric(runtime, 'events', 'action'))).toEqual(byAction);
  const errors = truths.flatMap((t) => t.alerts.errors.map((e) => e.eventId)).sort();
  expect((await allAlerts(runtime, 'error')).map((a) => a.eventId).sort()).toEqual(errors);
  const web = truths.filter((t) => t.paths);
  if (web.length > 0) {
    const today = DateTime.now().setZone(ZONE);
    const got = await pathsOf(runtime, [today.minus({ days: 1 }).toISODate() ?? '', today.toISODate() ?? '']);
    const edges: Record<string, number> = {};
    for (const t of web) for (const [k, v] of Object.entries(t.paths?.edges ?? {})) edges[k] = (edges[k] ?? 0) + v;
    if (!isDeepStrictEqual(got.edges, edges)) {
      const failed = truths.map((t) => `${t.meta.scenario} seed ${t.meta.seed}: ${t.meta.failed} given up`).join('; ');
      throw new Error(`${await explainEdges(runtime, got.edges, edges, accepted, ZONE)}\nproducers: ${failed}`);
    }
  }
  const recharge = truths.find((t) => t.recharge)?.recharge;
  if (recharge) {
    expect(total(await metric(runtime, 'recharge'))).toBe(recharge.count);
    expect(total(await metric(runtime, 'recharge.amount'), 'sum')).toBeCloseTo(recharge.amount, 6);
  }
}

describe('exactly-once results under failures', () => {
  it('counts each event once when every batch is delivered three times', async () => {
    const { accepted, onAccepted } = acceptedEvents();
    const deliveries: Record<string, number> = {};
    const { runtime } = await startRuntime({
      wrapStreamInvoke: (name, invoke) => async (event) => {
        // The same event three times (as a retry would); the mapping keeps the last answer.
        await invoke(event);
        await invoke(event);
        deliveries[name] = (deliveries[name] ?? 0) + 3;
        return invoke(event);
      },
    });
    try {
      const truths = await Promise.all([
        produce(runtime, 'web', { count: 600, rate: 300, seed: 1, onAccepted }),
        produce(runtime, 'web', { count: 400, rate: 200, seed: 11, stepless: true, onAccepted }),
        produce(runtime, 'alerts', { count: 600, rate: 300, seed: 2, onAccepted }),
      ]);
      await waitForConsumers(runtime);
      expect(Object.values(deliveries).every((n) => n >= 3)).toBe(true);
      await expectExactly(runtime, truths, accepted);
    } finally {
      await runtime.stop();
    }
  }, 180_000);

  it('recovers exactly when DynamoDB fails part-way through a batch (the session writes after the counters, then inside the metric writes)', async () => {
    const { accepted, onAccepted } = acceptedEvents();
    const { runtime } = await startRuntime({ dynamodbFaults: true });
    try {
      // The session puts of the first batches fail (their edge counters already written), and later a
      // run of metric updates fails in the middle of a batch: each is retried by the mapping.
      // Step-less page views make session puts (PutItem); step-carrying ones make edge-counter updates.
      runtime.dynamodbFaults?.failNext('PutItem', 4);
      const first = await produce(runtime, 'web', { count: 500, rate: 250, seed: 3, stepless: true, onAccepted });
      await waitForConsumers(runtime);
      runtime.dynamodbFaults?.failNext('UpdateItem', 4);
      const second = await produce(runtime, 'recharge', { count: 500, rate: 250, seed: 4, onAccepted });
      await waitForConsumers(runtime);
      runtime.dynamodbFaults?.failNext('UpdateItem', 6);
      const third = await produce(runtime, 'web', { count: 500, rate: 250, seed: 33, onAccepted });
      await waitForConsumers(runtime);
      expect(runtime.dynamodbFaults?.injected).toEqual({ PutItem: 4, UpdateItem: 10 });
      await expectExactly(runtime, [first, second, third], accepted);
    } finally {
      await runtime.stop();
    }
  }, 180_000);

  it('sets a poison record aside with its reason and processes the rest of its batch', async () => {
    const { accepted, onAccepted } = acceptedEvents();
    const { runtime } = await startRuntime();
    try {
      const stream = runtime.endpoints.outputs['uba-dev-data'].StreamName;
      await runtime.kinesis.client.send(
        new PutRecordCommand({ StreamName: stream, PartitionKey: 'u1', Data: Buffer.from('{"eventId":"x", this is not json\n') }),
      );
      const truths = await Promise.all([
        produce(runtime, 'web', { count: 300, rate: 300, seed: 5, onAccepted }),
        produce(runtime, 'web', { count: 200, rate: 200, seed: 55, stepless: true, onAccepted }),
      ]);
      await waitForConsumers(runtime);
      await expectExactly(runtime, truths, accepted);
      const table = runtime.endpoints.outputs['uba-dev-analytics'].ResultsTableName;
      // The record's arrival day (UTC): today, or yesterday if the run crossed midnight.
      const days = [new Date(), new Date(Date.now() - 86_400_000)].map((d) => d.toISOString().slice(0, 10));
      const items = [];
      for (const day of days) {
        const page = await runtime.dynamodb.client.send(
          new QueryCommand({
            TableName: table,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': { S: `QUARANTINE#${day}` } },
          }),
        );
        items.push(...(page.Items ?? []));
      }
      expect(items).toHaveLength(1);
      expect(items[0].reason?.S).toMatch(/not base64 JSON/);
      expect(Buffer.from(items[0].data?.S ?? '', 'base64').toString()).toContain('this is not json');
    } finally {
      await runtime.stop();
    }
  }, 180_000);

  it('neither loses nor repeats anything across a stop and start under load with --persist', async () => {
    const { accepted, onAccepted } = acceptedEvents();
    const localDir = fs.mkdtempSync(path.join(os.tmpdir(), 'uba-e2e-restart-'));
    const port = await freePortBase();
    const options = { port, persistDir: path.join(localDir, 'data'), localDir };
    let { runtime } = await startRuntime(options);
    try {
      // The producer keeps sending (and retrying) while the runtime stops and starts again.
      // Retries ride over the restart; what the producer still gives up on was never accepted (a
      // page view after it still counts its own step's edge: the truth counts that too).
      const producing = Promise.all([
        produce(runtime, 'web', { count: 2400, rate: 200, seed: 6, maxRetries: 8, allowUndelivered: true, onAccepted }),
        produce(runtime, 'web', { count: 1200, rate: 100, seed: 66, maxRetries: 8, allowUndelivered: true, stepless: true, onAccepted }),
      ]);
      // Settled here so a failure of the stop or start below cannot leave it unhandled.
      const produced = producing.then(
        (truths) => ({ truths }),
        (error: unknown) => ({ error }),
      );
      await new Promise((r) => setTimeout(r, 4_000));
      await runtime.stop();
      ({ runtime } = await startRuntime(options));
      const outcome = await produced;
      if ('error' in outcome) throw outcome.error;
      const truths = outcome.truths;
      await waitForConsumers(runtime);
      expect(truths[0].total).toBeGreaterThan(1000);
      expect(truths[1].total).toBeGreaterThan(500);
      await expectExactly(runtime, truths, accepted);
    } finally {
      await runtime.stop();
      fs.rmSync(localDir, { recursive: true, force: true });
    }
  }, 240_000);
});
