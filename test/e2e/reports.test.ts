/**
 * The daily reports end to end on the local runtime, on the `uat` stage, which pseudonymizes user
 * ids before they enter the stream (the truth counts the producer's raw ids: distinct users must
 * stay distinct). The producer sends 30 days of taobao history
 * plus vending, recharge and web runs (all arriving now), an event created at 23:59:59.9 local
 * time yesterday arrives today, and one accepted event is sent again; the daily job runs for the
 * arrival days; then every report the read API serves must equal the producer's truth (computed
 * in TypeScript, scripts/producer/report-truth.ts), row for row. Running the job again must give
 * the same answers.
 */
import { DateTime } from 'luxon';
import type { EventInput } from '../../lambdas/shared/event';
import { REPORT_COLUMNS, REPORT_NAMES, type ReportAnswer, type ReportListAnswer } from '../../lambdas/shared/reports';
import type { LocalRuntime } from '../../local/runtime';
import { loadCommodities } from '../../scripts/producer/commodities';
import { ReportTruthBuilder } from '../../scripts/producer/report-truth';
import * as path from 'path';
import { stageConfig } from '../../lib/config/stage-config';
import { getJson, produce, readLake, ROOT, runReportJob, startRuntime, tokenFor, waitForLake } from './harness';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';

/** Every object under `prefix`, key → content (as text). */
async function readObjects(s3: S3Client, bucket: string, prefix: string): Promise<Map<string, string>> {
  const objects = new Map<string, string>();
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const item of page.Contents ?? []) {
      const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: item.Key }));
      objects.set(item.Key ?? '', (await got.Body?.transformToString('utf8')) ?? '');
    }
    token = page.NextContinuationToken;
  } while (token);
  return objects;
}

const STAGE = 'uat';
const TZ = stageConfig(STAGE).timeZone;
const HISTORY_DAYS = 30;

describe('daily reports on the local runtime', () => {
  let runtime: LocalRuntime;
  const truth = new ReportTruthBuilder({ timeZone: TZ, commodities: loadCommodities() });
  /** Accepted events in the order the API took them, over every run (ties in a session follow it). */
  let seq = 0;
  let firstAccepted: EventInput | undefined;
  const collect = (event: EventInput): void => {
    firstAccepted ??= event;
    truth.add(event, seq++);
  };

  beforeAll(async () => {
    expect(stageConfig(STAGE).ingest.pseudonymize).toBe(true);
    ({ runtime } = await startRuntime({ stage: STAGE, assemblyDir: path.join(ROOT, `cdk.out.${STAGE}`) }));
  }, 180_000);

  afterAll(async () => {
    await runtime?.stop();
  });

  it('serves every report equal to the producer truth, and a rerun changes nothing', async () => {
    // Prepare: history for every scenario, all arriving now (web without history: sessions of minutes).
    const runs = [
      await produce(runtime, 'taobao', { count: 3000, rate: 2000, seed: 801, days: HISTORY_DAYS, onAccepted: collect }),
      await produce(runtime, 'vending', { count: 600, rate: 2000, seed: 802, days: 10, onAccepted: collect }),
      await produce(runtime, 'recharge', { count: 800, rate: 2000, seed: 803, days: 10, onAccepted: collect }),
      await produce(runtime, 'web', { count: 400, rate: 400, seed: 804, onAccepted: collect }),
    ];
    const now = DateTime.now().setZone(TZ);
    const today = now.toFormat('yyyy-MM-dd');
    const yesterday = now.minus({ days: 1 }).toFormat('yyyy-MM-dd');
    // Created at 23:59:59.9 yesterday (local), arriving today: it belongs to yesterday.
    const late: EventInput = {
      eventId: `late-${Date.now()}`,
      action: 'click',
      userId: 'late-user',
      createdAt: `${yesterday}T23:59:59.900+08:00`,
      props: { ageRange: 2 },
    };
    if (firstAccepted === undefined) throw new Error('nothing was accepted');
    const resent = firstAccepted;
    const post = await fetch(`${runtime.endpoints.api}/v1/events`, {
      method: 'POST',
      headers: { 'x-api-key': runtime.endpoints.apiKey },
      body: JSON.stringify({ events: [late, resent] }),
    });
    expect(post.status).toBe(200);
    collect(late);
    collect(resent); // the truth drops it: same eventId, same day
    const accepted = runs.reduce((n, r) => n + r.meta.accepted, 0) + 2;
    await waitForLake(runtime, accepted);
    // The lake holds pseudonyms, not the ids the producer sent (the truth counts those).
    const lake = (await readLake(runtime.s3.client, runtime.endpoints.outputs[`uba-${STAGE}-data`].LakeBucketName)).flatMap((o) => o.lines);
    const lateInLake = lake.find((l) => l.eventId === late.eventId);
    expect(lateInLake?.userId).toEqual(expect.any(String));
    expect(lateInLake?.userId).not.toBe(late.userId);

    // Act: the daily job for the arrival days (yesterday too, in case the runs crossed midnight).
    await runReportJob(runtime, { from: yesterday, to: today }, STAGE);

    // Assess: the list, then each report over the history's days.
    const expected = truth.build();
    const from = expected.dau.from;
    expect(from).toBe(now.minus({ days: HISTORY_DAYS - 1 }).toFormat('yyyy-MM-dd'));
    const listed = await getJson<ReportListAnswer>(runtime, '/v1/reports');
    expect(listed.reports.map((r) => r.name)).toEqual([...REPORT_NAMES]);
    expect(listed.reports.find((r) => r.name === 'dau')?.days).toContain(yesterday);

    const answers = new Map<string, ReportAnswer>();
    for (const name of REPORT_NAMES) {
      const answer = await getJson<ReportAnswer>(runtime, `/v1/reports/${name}`, { from, to: today });
      answers.set(name, answer);
      expect({ report: answer.report, columns: answer.columns }).toEqual({ report: name, columns: [...REPORT_COLUMNS[name]] });
      expect({ name, rows: answer.rows }).toEqual({ name, rows: expected[name].rows });
    }
    // The late click counts on yesterday; the resent event once.
    expect(answers.get('taobao-daily')?.rows).toContainEqual(
      expect.objectContaining({ day: yesterday, dimension: 'age_range', value: '2' }),
    );
    expect(answers.get('mau')?.rows.reduce((n, r) => n + Number(r.users), 0)).toBeGreaterThan(
      Math.max(...(answers.get('dau')?.rows ?? []).map((r) => Number(r.users))),
    );

    // CSV: one header line and a line per row.
    const csv = await fetch(`${runtime.endpoints.api}/v1/reports/dau?from=${from}&to=${today}&format=csv`, {
      headers: { authorization: await tokenFor(runtime, 'analyst') },
    });
    expect(csv.status).toBe(200);
    const lines = (await csv.text()).trim().split(/\r?\n/);
    expect(lines[0]).toBe('day,users');
    expect(lines).toHaveLength(expected.dau.rows.length + 1);

    // A rerun of the same arrival days gives the same export files, byte for byte, and the same answers.
    const lakeBucket = runtime.endpoints.outputs[`uba-${STAGE}-data`].LakeBucketName;
    const exportsBefore = await readObjects(runtime.s3.client, lakeBucket, 'exports/');
    expect(exportsBefore.size).toBeGreaterThan(0);
    await runReportJob(runtime, { from: yesterday, to: today }, STAGE);
    expect(await readObjects(runtime.s3.client, lakeBucket, 'exports/')).toEqual(exportsBefore);
    for (const name of REPORT_NAMES) {
      expect(await getJson<ReportAnswer>(runtime, `/v1/reports/${name}`, { from, to: today })).toEqual(answers.get(name));
    }
  }, 240_000);
});
