import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseArgs } from '../../../scripts/producer/cli';
import { runProducer, type Output, type TruthFile } from '../../../scripts/producer/run';
import { localDate } from '../../../scripts/producer/time';
import { startFakeApi, validatingHandler, type FakeApi } from './fake-api';

function buffer(): Output & { text: () => string } {
  let text = '';
  return { write: (s: string) => (text += s), isTTY: false, text: () => text };
}

describe('runProducer end to end against a fake API', () => {
  let dir: string;
  let api: FakeApi | undefined;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'uba-produce-'));
  });
  afterEach(async () => {
    await api?.close();
    api = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('writes a truth file of exactly the accepted events and counts the deliberate rejections', async () => {
    // prepare: the API throttles every 5th event once; 10% of events are broken on purpose
    const fake = validatingHandler((id, times) => id.endsWith('0') && times === 1);
    api = await startFakeApi(fake.handler);
    const endpointsFile = path.join(dir, 'endpoints.json');
    await writeFile(endpointsFile, JSON.stringify({ api: api.url, apiKey: 'local-key' }));
    const truthFile = path.join(dir, 'truth.json');
    const out = buffer();
    const options = parseArgs([
      '--scenario',
      'web',
      '--count',
      '400',
      '--rate',
      '4000',
      '--batch',
      '50',
      '--seed',
      '42',
      '--start-time',
      '2024-05-27T03:40:00Z',
      '--invalid-ratio',
      '0.1',
      '--truth',
      truthFile,
    ]);

    // act
    const result = await runProducer(options, { stdout: out, endpointsFile });

    // assess
    expect(result.exitCode).toBe(0);
    expect(result.report).toMatchObject({ generated: 400, failed: 0 });
    const report = result.report;
    if (report === undefined) throw new Error('no report');
    expect(report.accepted + report.rejected).toBe(400);
    expect(report.accepted).toBe(fake.accepted.length);
    const truth = JSON.parse(await readFile(truthFile, 'utf8')) as {
      meta: Record<string, unknown>;
      total: number;
      byAction: Record<string, number>;
      paths: { sessions: number };
    };
    expect(truth.total).toBe(fake.accepted.length);
    expect(truth.meta).toMatchObject({
      scenario: 'web',
      seed: 42,
      sent: 400,
      accepted: report.accepted,
      rejected: report.rejected,
      startTime: '2024-05-27T03:40:00.000Z',
    });
    expect(truth.meta.expectedInvalid).toBe(report.rejected);
    expect(Object.values(truth.byAction).reduce((a, b) => a + b, 0)).toBe(truth.total);
    expect(truth.paths.sessions).toBeGreaterThan(0);
    expect(out.text()).toContain('seed 42');
    expect(out.text()).toMatch(/rejected +\d+ +\(expected: \d+ broken on purpose\)/);

    // the same seed and start time give the same events again (same eventIds)
    const again = validatingHandler();
    await api.close();
    api = await startFakeApi(again.handler);
    await writeFile(endpointsFile, JSON.stringify({ api: api.url, apiKey: 'local-key' }));
    await runProducer(options, { stdout: buffer(), endpointsFile });
    expect([...again.seen.keys()].sort()).toEqual([...fake.seen.keys()].sort());
  });

  it('spreads a --days run over past days and writes every report of the accepted events', async () => {
    // prepare: the API throttles some events once, so they are resent
    const fake = validatingHandler((id, times) => id.endsWith('7') && times === 1);
    api = await startFakeApi(fake.handler);
    const truthFile = path.join(dir, 'truth.json');
    const options = parseArgs([
      '--scenario',
      'taobao',
      '--count',
      '600',
      '--rate',
      '5000',
      '--days',
      '7',
      '--seed',
      '5',
      '--endpoint',
      api.url,
      '--api-key',
      'k',
      '--truth',
      truthFile,
    ]);
    const seen: string[] = [];

    // act
    const before = Date.now();
    const result = await runProducer(options, { stdout: buffer(), onAccepted: (event) => seen.push(event.eventId) });

    // assess: every event was created in the past, over 7 local days, and the reports count them once
    expect(result.exitCode).toBe(0);
    const truth = JSON.parse(await readFile(truthFile, 'utf8')) as TruthFile;
    expect(truth.meta.days).toBe(7);
    expect(seen.sort()).toEqual([...fake.accepted].sort());
    const created = api.requests.flatMap((r) => r.events).map((e) => Date.parse(String(e.createdAt)));
    expect(Math.max(...created)).toBeLessThanOrEqual(before);
    expect(truth.reports.dau.rows).toHaveLength(7);
    expect(truth.reports['taobao-daily'].rows.filter((r) => r.dimension === 'action').reduce((n, r) => n + (r.events as number), 0)).toBe(
      600,
    );
    expect(truth.reports.dau.from).toBe(localDate(before - 6 * 86_400_000, 'Asia/Shanghai'));
    expect(truth.reports.dau.to).toBe(localDate(before, 'Asia/Shanghai'));
  });

  it('exits with 1 when events could not be delivered', async () => {
    api = await startFakeApi(() => ({ status: 500, body: { message: 'Internal server error' } }));
    const options = parseArgs([
      '--scenario',
      'vending',
      '--count',
      '20',
      '--rate',
      '1000',
      '--endpoint',
      api.url,
      '--api-key',
      'k',
      '--max-retries',
      '1',
    ]);
    const out = buffer();
    const result = await runProducer(options, { stdout: out });
    expect(result.exitCode).toBe(1);
    expect(result.report).toMatchObject({ failed: 20, accepted: 0 });
    expect(out.text()).toContain('HTTP 500 Internal server error (gave up after 1 retries)');
  });
});
