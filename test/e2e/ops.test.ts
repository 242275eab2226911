/**
 * The runbook's commands (`npm run ops`, docs/operations.md) on the local runtime: a batch the
 * realtime consumer gave up on is redriven and counts once; a record quarantined before a fix is
 * replayed after it and counts once; status shows the consumers, the lake and the last alert;
 * the stream is resharded and back.
 */
import { execFile } from 'child_process';
import * as path from 'path';
import { gunzipSync, gzipSync } from 'zlib';
import { ListShardsCommand, PutRecordCommand } from '@aws-sdk/client-kinesis';
import type { LocalRuntime } from '../../local/runtime';
import type { StreamInvokeFn } from '../../local/esm/types';
import { redrive } from '../../scripts/ops/redrive';
import { replayQuarantine } from '../../scripts/ops/replay';
import { reshard } from '../../scripts/ops/reshard';
import { writeRuntimeStatus } from '../../scripts/ops/runtime-status';
import { stageStatus, type StageStatus } from '../../scripts/ops/status';
import { localTarget, type OpsTarget } from '../../scripts/ops/target';
import { metric, produce, ROOT, STAGE, startRuntime, totalsByValue, waitForConsumers } from './harness';

const CDK_OUT = path.join(ROOT, `cdk.out.${STAGE}`);
/** The dev stage's tumbling window. */
const WINDOW_SECONDS = 60;

/** Events per action value of the last hours, through the read API. */
const countOf = async (runtime: LocalRuntime, action: string): Promise<number> =>
  totalsByValue(await metric(runtime, 'events', 'action'))[action] ?? 0;

/** Polls `probe` every 250 ms until it is true; rejects after `timeoutMs`. */
async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** A v1 event with a given action, as ingest writes it to the stream. */
const streamEvent = (eventId: string, action: string) => {
  const now = new Date().toISOString();
  return { eventId, action, userId: 'ops-user', createdAt: now, receivedAt: now };
};

describe('npm run ops on the local runtime', () => {
  let runtime: LocalRuntime;
  let localDir: string;
  let target: OpsTarget;
  /** While true, the realtime consumer's invocations fail (a dependency down). */
  let realtimeDown = false;
  /** Once true, the consumers read gzip'ed records (the fix of a decoding rule). */
  let gzipFixed = false;
  let realtimeFunction = '';

  /** The consumers as the test shapes them: failing while `realtimeDown`, reading gzip once `gzipFixed`. */
  const wrap =
    (name: string, invoke: StreamInvokeFn): StreamInvokeFn =>
    async (event) => {
      if (realtimeDown && name === realtimeFunction)
        return { ok: false, error: { errorType: 'ServiceUnavailable', errorMessage: 'injected: the results table is unreachable' } };
      if (!gzipFixed) return invoke(event);
      const Records = event.Records.map((r) => {
        const bytes = Buffer.from(r.kinesis.data, 'base64');
        return bytes[0] === 0x1f && bytes[1] === 0x8b ? { ...r, kinesis: { ...r.kinesis, data: gunzipSync(bytes).toString('base64') } } : r;
      });
      return invoke({ ...event, Records });
    };

  beforeAll(async () => {
    ({ runtime, localDir } = await startRuntime({ wrapStreamInvoke: wrap }));
    realtimeFunction = runtime.endpoints.outputs['uba-dev-analytics']?.RealtimeFunctionName ?? '';
    target = localTarget({ localDir, cdkOut: CDK_OUT });
  }, 240_000);

  afterAll(async () => {
    await target?.close();
    await runtime?.stop();
  }, 60_000);

  it('redrive: a batch the realtime consumer gave up on is listed by the dry run, handed back by --apply, and counts once', async () => {
    // prepare: the consumer fails every retry of a one-event batch, which goes to the dead letters
    expect(realtimeFunction).not.toBe('');
    realtimeDown = true;
    const stream = runtime.endpoints.outputs['uba-dev-data']?.StreamName ?? '';
    await runtime.kinesis.client.send(
      new PutRecordCommand({
        StreamName: stream,
        PartitionKey: 'ops-user',
        Data: Buffer.from(`${JSON.stringify(streamEvent('rd-1', 'redrive_probe'))}\n`),
      }),
    );
    const letters = target.deadLetters('realtime');
    await until('the batch in the dead letters', async () => (await letters.depth()) === 1, 90_000);
    realtimeDown = false;
    await waitForConsumers(runtime);
    expect(await countOf(runtime, 'redrive_probe')).toBe(0);

    // act
    const dry = await redrive(target, { consumer: 'realtime', apply: false, max: 10, windowSeconds: WINDOW_SECONDS });
    const depthAfterDryRun = await letters.depth();
    const applied = await redrive(target, { consumer: 'realtime', apply: true, max: 10, windowSeconds: WINDOW_SECONDS });
    const again = await redrive(target, { consumer: 'realtime', apply: true, max: 10, windowSeconds: WINDOW_SECONDS });

    // assess
    expect(dry).toEqual([
      expect.objectContaining({ outcome: 'would redrive', found: 1, batchSize: 1, condition: 'RetryAttemptsExhausted' }),
    ]);
    expect(depthAfterDryRun).toBe(1);
    expect(applied).toEqual([expect.objectContaining({ outcome: 'redriven', found: 1 })]);
    expect(again).toEqual([]);
    expect(await letters.depth()).toBe(0);
    expect(await countOf(runtime, 'redrive_probe')).toBe(1);
  }, 180_000);

  it('replay-quarantine: a record quarantined before the fix is replayed after it, and counts once however often replay runs', async () => {
    // prepare: a producer writes a gzip'ed event straight to the stream; the consumer cannot read it yet
    const stream = runtime.endpoints.outputs['uba-dev-data']?.StreamName ?? '';
    const day = new Date().toISOString().slice(0, 10);
    await runtime.kinesis.client.send(
      new PutRecordCommand({
        StreamName: stream,
        PartitionKey: 'ops-user',
        Data: gzipSync(`${JSON.stringify(streamEvent('rq-1', 'replay_probe'))}\n`),
      }),
    );
    await waitForConsumers(runtime);
    const before = await replayQuarantine(target, { date: day, apply: false });
    expect(before).toEqual([
      expect.objectContaining({
        outcome: 'would replay',
        consumer: 'realtime',
        reason: expect.stringMatching(/^not base64 JSON/) as unknown,
      }),
    ]);
    expect(await countOf(runtime, 'replay_probe')).toBe(0);

    // act: fix the decoding rule, then replay twice
    gzipFixed = true;
    const first = await replayQuarantine(target, { date: day, apply: true });
    await waitForConsumers(runtime);
    const second = await replayQuarantine(target, { date: day, apply: true });
    await waitForConsumers(runtime);

    // assess
    expect(first).toEqual([expect.objectContaining({ outcome: 'replayed' })]);
    expect(second).toEqual([expect.objectContaining({ outcome: 'already replayed' })]);
    expect(await countOf(runtime, 'replay_probe')).toBe(1);
  }, 180_000);

  it('status: the consumers caught up with no dead letters, the newest lake object and the newest alert; the CLI prints the same', async () => {
    // prepare
    await produce(runtime, 'alerts', { count: 200, rate: 400, seed: 13 });
    await waitForConsumers(runtime);
    await runtime.flushLake();
    await writeRuntimeStatus(runtime, localDir);

    // act
    const status = await stageStatus(target);
    const cli = await new Promise<string>((resolve, reject) =>
      execFile(
        process.execPath,
        ['--import', 'tsx', path.join(ROOT, 'scripts', 'ops.ts'), 'status', '--json', '--local-dir', localDir, '--cdk-out', CDK_OUT],
        { cwd: ROOT, env: { ...process.env, NODE_OPTIONS: '--openssl-legacy-provider' }, timeout: 60_000 },
        (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout)),
      ),
    );

    // assess
    expect(status.consumers).toEqual({ realtime: { iteratorAgeMs: 0, deadLetters: 0 }, windows: { iteratorAgeMs: 0, deadLetters: 0 } });
    expect(status.lastLakeObject?.key).toMatch(/^raw\/dt=\d{4}-\d{2}-\d{2}\/hour=\d{2}\//);
    expect(status.lastAlert).toEqual(expect.objectContaining({ kind: expect.stringMatching(/^(error|window)$/) as unknown }));
    const printed = JSON.parse(cli) as StageStatus;
    expect(printed.consumers).toEqual(status.consumers);
    expect(printed.lastLakeObject?.key).toBe(status.lastLakeObject?.key);
  }, 180_000);

  it('reshard: the dry run plans, --apply splits the one shard in two and merges them back', async () => {
    // prepare
    const stream = runtime.endpoints.outputs['uba-dev-data']?.StreamName ?? '';
    const open = async () =>
      ((await runtime.kinesis.client.send(new ListShardsCommand({ StreamName: stream }))).Shards ?? []).filter(
        (s) => s.SequenceNumberRange?.EndingSequenceNumber === undefined,
      ).length;

    // act
    const plan = await reshard(target, { shards: 2, apply: false });
    const openAfterPlan = await open();
    const up = await reshard(target, { shards: 2, apply: true, pollMs: 200 });
    const openAfterUp = await open();
    const down = await reshard(target, { shards: 1, apply: true, pollMs: 200 });

    // assess
    expect(plan).toEqual({ from: 1, to: 2, steps: [expect.objectContaining({ kind: 'split' })], applied: false });
    expect(openAfterPlan).toBe(1);
    expect(up).toMatchObject({ from: 1, to: 2, applied: true });
    expect(openAfterUp).toBe(2);
    expect(down).toMatchObject({ from: 2, to: 1, steps: [expect.objectContaining({ kind: 'merge' })], applied: true });
    expect(await open()).toBe(1);
    await expect(reshard(target, { shards: 3, apply: false })).rejects.toThrow(/one reshard goes to 1\.\.2/);
  }, 120_000);
});
