/**
 * Accepted events that once broke the analyses, replayed on the local runtime through the ingest
 * API: a failed recharge whose provinceCode is 1,024 emoji (it blocked the windows consumer), 800
 * path documents of random 1,000-character paths (they outgrew the path ledgers), an action of 256
 * emoji and a props.province of 1,024 x (they failed the realtime consumer). Nothing may fail:
 * no failed invoke, nothing in the dead-letter files, a burst of 12 warnings still raises its
 * window alert, and the per-minute counts still count the unrelated events of the producer.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { LocalRuntime } from '../../local/runtime';
import { allAlerts, getJson, metric, produce, startRuntime, total, waitForConsumers } from './harness';

/** A deterministic pseudo-random path of `length` characters. */
function randomPath(seed: number, length: number): string {
  let x = (seed * 2654435761 + 1) >>> 0;
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789-_/';
  const out = ['/'];
  while (out.length < length) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out.push(alphabet[x % alphabet.length] as string);
  }
  return out.join('');
}

/** POSTs `body` to `route` with the runtime's key; resolves the status and the answer. */
async function post(runtime: LocalRuntime, route: string, body: unknown): Promise<{ status: number; text: string }> {
  const res = await fetch(`${runtime.endpoints.api}${route}`, {
    method: 'POST',
    headers: { 'x-api-key': runtime.endpoints.apiKey, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, text: await res.text() };
}

/** Every line of every dead-letter (on-failure) file of the runtime. */
function deadLetters(runtime: LocalRuntime): string[] {
  const dir = runtime.endpoints.failureDestinations;
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .flatMap((name) => fs.readFileSync(path.join(dir, name), 'utf8').split('\n'))
    .filter((line) => line.trim() !== '');
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('accepted events that once broke the analyses, on the local runtime', () => {
  it('leaves no batch failed and nothing in the dead-letter files; a burst of 12 warnings still alerts and unrelated events are counted', async () => {
    // prepare
    const failedInvokes: string[] = [];
    const { runtime } = await startRuntime({
      wrapStreamInvoke: (name, invoke) => async (event) => {
        try {
          const answer = await invoke(event);
          const failures = (answer as { batchItemFailures?: unknown[] } | undefined)?.batchItemFailures;
          if (Array.isArray(failures) && failures.length > 0) failedInvokes.push(`${name}: ${JSON.stringify(failures)}`);
          return answer;
        } catch (error) {
          failedInvokes.push(`${name}: ${String(error)}`);
          throw error;
        }
      },
    });
    try {
      const now = () => new Date().toISOString();
      const hostile = [
        ...Array.from({ length: 12 }, (_, i) => ({
          eventId: `rc-emoji-${i}`,
          action: 'reChargeNotifyReq',
          userId: 'cm-hostile',
          createdAt: now(),
          props: { bussinessRst: '2003', provinceCode: '😀'.repeat(1024), chargefee: 10 },
        })),
        { eventId: 'long-action', action: '😀'.repeat(256), userId: 'u-hostile', createdAt: now() },
        { eventId: 'long-province', action: 'viewDoc', userId: 'u-hostile', createdAt: now(), props: { province: 'x'.repeat(1024) } },
      ];
      const documents = Array.from({ length: 800 }, (_, d) => ({
        uvi: `visitor-${d}`,
        el: Array.from({ length: 3 }, (_, s) => ({
          path: randomPath(d * 3 + s, 1000),
          ct: new Date(Date.now() + 8 * 3600_000 + s * 1000).toISOString().slice(0, 23),
        })),
      }));

      // act
      // Each burst goes in within one tumbling window (60 s, by arrival): not in the last seconds of a minute.
      while (Date.now() % 60_000 > 40_000) await sleep(1_000);
      const accepted = await post(runtime, '/v1/events', { events: hostile });
      const documentAnswers = [];
      for (let i = 0; i < documents.length; i += 50)
        documentAnswers.push(await post(runtime, '/v1/paths', { documents: documents.slice(i, i + 50) }));
      const unrelated = await produce(runtime, 'web', { count: 300, rate: 300, seed: 11 });
      while (Date.now() % 60_000 > 40_000) await sleep(1_000);
      const burstAt = Date.now();
      const burst = await post(runtime, '/v1/events', {
        events: Array.from({ length: 12 }, (_, i) => ({
          eventId: `warn-${i}`,
          action: 'burstAction',
          userId: `u-${i % 3}`,
          createdAt: now(),
          errorMsg: `[warn] slow response (${200 + i} ms)`,
        })),
      });
      await sleep(Math.max(0, Math.ceil(burstAt / 60_000) * 60_000 - Date.now()) + 3_000);
      await waitForConsumers(runtime, 120_000);
      let windowAlerts = await allAlerts(runtime, 'window');
      for (let tries = 0; tries < 20 && !windowAlerts.some((a) => a.action === 'burstAction'); tries++) {
        await sleep(1_000);
        windowAlerts = await allAlerts(runtime, 'window');
      }

      // assess
      expect(accepted.status).toBe(200);
      expect(documentAnswers.map((a) => a.status)).toEqual(documents.slice(0, 16).map(() => 200));
      expect(burst.status).toBe(200);
      expect(failedInvokes).toEqual([]);
      expect(deadLetters(runtime)).toEqual([]);
      expect(windowAlerts.filter((a) => a.action === 'burstAction')).toEqual([expect.objectContaining({ count: 12 })]);
      const province = windowAlerts.find((a) => a.action.startsWith('😀'.repeat(10)));
      expect(province).toEqual(expect.objectContaining({ count: 12 }));
      const pageViews = documents.length * 3;
      expect(total(await metric(runtime, 'events'))).toBe(unrelated.total + hostile.length + pageViews + 12);
      const today = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
      const paths = await getJson<{ edges: Array<{ source: string; target: string; weight: number }> }>(runtime, '/v1/paths', {
        date: today,
        limit: 5000,
      });
      // The documents' page views carry their steps: every edge of theirs (800 documents × 2) is
      // counted, under page names bounded like every other key.
      const documentEdges = paths.edges.filter((e) => e.source.length > 200 || e.target.length > 200);
      expect(documentEdges.reduce((n, e) => n + e.weight, 0)).toBe(documents.length * 2);
      expect(Math.max(...documentEdges.flatMap((e) => [Buffer.byteLength(e.source), Buffer.byteLength(e.target)]))).toBeLessThan(1000);
    } finally {
      await runtime.stop();
    }
  }, 300_000);
});
