/**
 * The load-balancer front door on the local runtime: the prod stage (its config chooses
 * `ingest.frontDoor: alb`) runs its load balancer's stand-in next to the REST API. Producers post
 * there with their Secrets Manager keys; the ingest contract (per-event results, field errors)
 * holds, missing and wrong keys are refused by the ingest Lambda itself, and accepted events reach
 * the stream and the lake.
 */
import * as fs from 'fs';
import { stageConfig } from '../../lib/config/stage-config';
import type { LocalRuntime } from '../../local/runtime';
import { isPortOpen } from '../../local/services';
import { readLake, startRuntime } from './harness';

const STAGE = 'prod';

interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

async function post(url: string, body: unknown, headers: Record<string, string>): Promise<Answer> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const anEvent = (eventId: string, overrides: Record<string, unknown> = {}) => ({
  eventId,
  userId: `user-${eventId}`,
  action: 'view',
  createdAt: new Date().toISOString(),
  props: { page: '/home' },
  ...overrides,
});

describe('ingest through the load balancer (prod front door), locally', () => {
  let runtime: LocalRuntime;
  let localDir: string;
  let ingest: string;

  beforeAll(async () => {
    expect(stageConfig(STAGE).ingest.frontDoor.kind).toBe('alb');
    ({ runtime, localDir } = await startRuntime({ stage: STAGE }));
    ingest = runtime.endpoints.ingest ?? '';
  }, 120_000);

  afterAll(async () => {
    await runtime?.stop();
    if (localDir) fs.rmSync(localDir, { recursive: true, force: true });
  }, 60_000);

  it('publishes the load balancer and the producers’ keys in endpoints.json', () => {
    const written = JSON.parse(fs.readFileSync(`${localDir}/endpoints.json`, 'utf8')) as {
      ingest?: string;
      apiKeys: Record<string, string>;
    };
    expect(written.ingest).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(written.ingest).toBe(ingest);
    expect(Object.keys(written.apiKeys).sort()).toEqual([...stageConfig(STAGE).ingest.producers].sort());
    for (const key of Object.values(written.apiKeys)) expect(key).toMatch(/^[A-Za-z0-9]{40}$/);
  });

  it('answers per event, names the bad field, refuses a missing (401) and a wrong (403) key, and the accepted events reach the lake', async () => {
    const keys = runtime.endpoints.apiKeys;
    const good = await post(`${ingest}/v1/events`, { events: [anEvent('alb-1'), anEvent('alb-2')] }, { 'x-api-key': keys.web });
    expect(good).toEqual({
      status: 200,
      body: {
        accepted: 2,
        rejected: 0,
        results: [
          { index: 0, eventId: 'alb-1', status: 'accepted' },
          { index: 1, eventId: 'alb-2', status: 'accepted' },
        ],
      },
    });

    const mixed = await post(
      `${ingest}/v1/events`,
      { events: [anEvent('alb-3'), anEvent('alb-bad', { action: '' })] },
      { 'x-api-key': keys.vending },
    );
    expect(mixed.status).toBe(207);
    expect(mixed.body.results).toEqual([
      { index: 0, eventId: 'alb-3', status: 'accepted' },
      expect.objectContaining({
        index: 1,
        eventId: 'alb-bad',
        status: 'rejected',
        error: expect.objectContaining({ field: 'action', retryable: false }),
      }),
    ]);

    const missing = await post(`${ingest}/v1/events`, { events: [anEvent('alb-nokey')] }, {});
    expect(missing).toEqual({
      status: 401,
      body: {
        error: 'x-api-key: is required: the key of a producer of this stage',
        field: 'x-api-key',
        reason: 'is required: the key of a producer of this stage',
      },
    });
    const wrong = await post(`${ingest}/v1/events`, { events: [anEvent('alb-wrongkey')] }, { 'x-api-key': 'not-a-producer-key' });
    expect(wrong.status).toBe(403);
    expect(wrong.body).toMatchObject({ field: 'x-api-key', reason: 'is not the key of a producer of this stage' });

    // Only the producer routes are forwarded; the REST API keeps the read routes and has no ingest route.
    const elsewhere = await fetch(`${ingest}/v1/metrics`, { method: 'GET' });
    expect(elsewhere.status).toBe(404);
    const restIngest = await fetch(`${runtime.endpoints.api}/v1/events`, {
      method: 'POST',
      headers: { 'x-api-key': keys.web, 'content-type': 'application/json' },
      body: JSON.stringify({ events: [anEvent('alb-rest')] }),
    });
    expect(restIngest.status).toBe(403);

    const bucket = runtime.endpoints.outputs[`uba-${STAGE}-data`].LakeBucketName;
    const deadline = Date.now() + 30_000;
    let ids: string[] = [];
    while (Date.now() < deadline) {
      await runtime.flushLake();
      ids = (await readLake(runtime.s3.client, bucket)).flatMap((o) => o.lines.map((l) => String(l.eventId)));
      if (ids.length >= 3) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(ids.sort()).toEqual(['alb-1', 'alb-2', 'alb-3']);
  }, 60_000);

  it('leaves nothing listening after stop, the load balancer included', async () => {
    const port = Number(new URL(ingest).port);
    await runtime.stop();
    expect(await isPortOpen(port, '127.0.0.1', 500)).toBe(false);
    expect(await runtime.listeningPorts()).toEqual([]);
  });
});
