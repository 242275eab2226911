/**
 * End to end on the local runtime: the synthesized dev stage on local stand-ins, fed through the
 * HTTP API with a few thousand events of several scenarios plus deliberately broken ones.
 * Every accepted event must be in the lake exactly once, under the dt=/hour= partition of its
 * arrival; every broken one rejected naming its field; nothing left listening after stop.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DateTime } from 'luxon';
import { stageConfig } from '../../lib/config/stage-config';
import type { LocalRuntime } from '../../local/runtime';
import { isPortOpen } from '../../local/services';
import { INVALID_KINDS } from '../../scripts/producer/invalid';
import { getScenario } from '../../scripts/producer/scenarios';
import { createEventStream, type ProducedEvent } from '../../scripts/producer/source';
import { readLake, STAGE, startRuntime } from './harness';

const PER_SCENARIO = 700;
const SCENARIOS = ['web', 'taobao', 'recharge', 'vending', 'alerts'];

interface EventResult {
  readonly eventId: string | null;
  readonly status: 'accepted' | 'rejected';
  readonly error?: { readonly field: string; readonly reason: string; readonly retryable: boolean };
}

async function post(base: string, key: string, route: string, body: unknown): Promise<{ status: number; results: EventResult[] }> {
  const res = await fetch(`${base}${route}`, {
    method: 'POST',
    headers: { 'x-api-key': key, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as { results?: EventResult[] };
  return { status: res.status, results: json.results ?? [] };
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('local pipeline (dev stage)', () => {
  let runtime: LocalRuntime;
  let localDir = '';

  beforeAll(async () => {
    ({ runtime, localDir } = await startRuntime());
  }, 180_000);

  afterAll(async () => {
    await runtime?.stop();
    fs.rmSync(localDir, { recursive: true, force: true });
  });

  it('takes every valid event into the lake exactly once, rejects every broken one with its field, then stops leaving nothing listening', async () => {
    // Prepare: events of several scenarios, 5 % broken in known ways, and a path document.
    const { api, apiKey } = runtime.endpoints;
    const produced: ProducedEvent[] = [];
    for (const [i, name] of SCENARIOS.entries()) {
      const stream = createEventStream({
        scenario: getScenario(name),
        seed: 100 + i,
        rate: 1000,
        timeZone: stageConfig(STAGE).timeZone,
        invalidRatio: 0.05,
        count: PER_SCENARIO,
      });
      for (let e = stream.next(Date.now()); e; e = stream.next(Date.now())) produced.push(e);
    }
    const brokenCount = produced.filter((e) => e.invalid).length;
    expect(brokenCount).toBeGreaterThan(50);

    // Act: send in batches of 100, four requests at a time.
    const results = new Map<string, EventResult>();
    const batches: ProducedEvent[][] = [];
    for (let i = 0; i < produced.length; i += 100) batches.push(produced.slice(i, i + 100));
    const statuses: number[] = [];
    for (let i = 0; i < batches.length; i += 4) {
      const answers = await Promise.all(
        batches.slice(i, i + 4).map((b) => post(api, apiKey, '/v1/events', { events: b.map((e) => e.body) })),
      );
      for (const [j, answer] of answers.entries()) {
        statuses.push(answer.status);
        answer.results.forEach((r, k) => results.set(String(batches[i + j][k].body.eventId), r));
      }
    }
    const doc = {
      uvi: 'user493',
      el: [
        { path: '/blog', ct: '2024-05-27T11:40:36.263222' },
        { path: '/about', ct: '2024-05-27T11:41:36.263222' },
      ],
    };
    const paths = await post(api, apiKey, '/v1/paths', doc);
    expect(paths.status).toBe(200);

    // Assess the API's answers.
    expect(statuses.every((s) => s === 200 || s === 207)).toBe(true);
    for (const event of produced) {
      const result = results.get(String(event.body.eventId));
      if (event.invalid) {
        expect(result).toMatchObject({ status: 'rejected', error: { field: INVALID_KINDS[event.invalid], retryable: false } });
        expect(result?.error?.reason.length).toBeGreaterThan(0);
      } else {
        expect(result?.status).toBe('accepted');
      }
    }
    const accepted = new Set([...results.entries()].filter(([, r]) => r.status === 'accepted').map(([id]) => id));
    for (const r of paths.results) accepted.add(String(r.eventId));
    expect(accepted.size).toBe(produced.length - brokenCount + doc.el.length);

    // Assess the lake: wait until Firehose has read everything, flush instead of waiting the interval out.
    await waitFor(() => {
      const s = runtime.stats();
      return s.lakeRecords + s.lakeBuffered >= accepted.size;
    }, 60_000);
    await runtime.flushLake();
    const bucket = runtime.endpoints.outputs[`uba-${STAGE}-data`].LakeBucketName;
    const objects = await readLake(runtime.s3.client, bucket);
    const seen = new Map<string, number>();
    const zone = stageConfig(STAGE).timeZone;
    for (const object of objects) {
      const match = /^raw\/dt=(\d{4}-\d{2}-\d{2})\/hour=(\d{2})\/.+\.json\.gz$/.exec(object.key);
      expect(match).not.toBeNull();
      // Firehose names an object by the arrival of its oldest record, in the stage's time zone.
      const oldest = object.lines.map((l) => Date.parse(String(l.receivedAt))).reduce((a, b) => Math.min(a, b));
      const arrival = DateTime.fromMillis(oldest + 1000, { zone }); // arrival in Kinesis follows receipt by a little
      const before = DateTime.fromMillis(oldest, { zone });
      expect([before.toFormat('yyyy-MM-dd/HH'), arrival.toFormat('yyyy-MM-dd/HH')]).toContain(`${match?.[1]}/${match?.[2]}`);
      for (const line of object.lines) {
        expect(String(line.createdAt)).toMatch(/Z$/);
        seen.set(String(line.eventId), (seen.get(String(line.eventId)) ?? 0) + 1);
      }
    }
    const duplicates = [...seen.entries()].filter(([, n]) => n > 1);
    const missing = [...accepted].filter((id) => !seen.has(id));
    const unexpected = [...seen.keys()].filter((id) => !accepted.has(id));
    expect({ duplicates, missing, unexpected }).toEqual({ duplicates: [], missing: [], unexpected: [] });

    // Stop: nothing left listening.
    const ports = [
      runtime.endpoints.api,
      runtime.endpoints.kinesis,
      runtime.endpoints.dynamodb,
      runtime.endpoints.s3,
      runtime.endpoints.secretsmanager,
      runtime.endpoints.sns,
    ].map((u) => Number(new URL(u).port));
    await runtime.stop();
    for (const port of ports) expect(await isPortOpen(port)).toBe(false);
    for (const fn of runtime.functions.values()) expect(fn.processCount).toBe(0);
  }, 240_000);
});

describe('local pipeline with --persist, across a stop and a start', () => {
  const localDir = fs.mkdtempSync(path.join(os.tmpdir(), 'uba-e2e-persist-'));
  const persistDir = path.join(localDir, 'data');
  const start = async (): Promise<LocalRuntime> => (await startRuntime({ persistDir, localDir })).runtime;
  afterAll(() => fs.rmSync(localDir, { recursive: true, force: true }));

  async function sendWeb(runtime: LocalRuntime, seed: number, count: number): Promise<string[]> {
    const stream = createEventStream({
      scenario: getScenario('web'),
      seed,
      rate: 1000,
      timeZone: stageConfig(STAGE).timeZone,
      invalidRatio: 0,
      count,
    });
    const events: ProducedEvent[] = [];
    for (let e = stream.next(Date.now()); e; e = stream.next(Date.now())) events.push(e);
    const answer = await post(runtime.endpoints.api, runtime.endpoints.apiKey, '/v1/events', { events: events.map((e) => e.body) });
    expect(answer.status).toBe(200);
    return answer.results.map((r) => String(r.eventId));
  }

  it('archives what was accepted before and after the restart exactly once, with the same API key', async () => {
    // Prepare: a first run takes 300 events; the stop flushes the lake and keeps the checkpoints.
    const first = await start();
    const key = first.endpoints.apiKey;
    const before = await sendWeb(first, 1, 300);
    await waitFor(() => first.stats().lakeRecords + first.stats().lakeBuffered >= before.length, 30_000);
    await first.stop();

    // Act: a second run on the same data takes 300 more.
    const second = await start();
    try {
      expect(second.endpoints.apiKey).toBe(key);
      const after = await sendWeb(second, 2, 300);
      await waitFor(() => second.stats().lakeRecords + second.stats().lakeBuffered >= after.length, 30_000);
      await second.flushLake();

      // Assess: both runs' events, each once (Firehose resumed after its checkpoint).
      const bucket = second.endpoints.outputs[`uba-${STAGE}-data`].LakeBucketName;
      const ids = (await readLake(second.s3.client, bucket)).flatMap((o) => o.lines.map((l) => String(l.eventId)));
      expect(ids.length).toBe(600);
      expect(new Set(ids)).toEqual(new Set([...before, ...after]));
    } finally {
      await second.stop();
    }
  }, 240_000);
});
