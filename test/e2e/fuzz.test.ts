/**
 * Bad inputs as a standing test: the seeded generator's 1,500+ bad and boundary inputs
 * (test/fuzz/bad-inputs.ts) sent to the ingest API of the local runtime, a few requests at a
 * time. Every refusal must be a 4xx naming the field the rules name, nothing may get a 5xx or
 * take over 10 s, every accepted event must land in the lake exactly once, and nothing may reach
 * the consumers' dead-letter files. Prints the counts per category.
 */
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import { gunzipSync } from 'zlib';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { LocalRuntime } from '../../local/runtime';
import { fuzzInputs, inputKey, jsonOf, type EventCase, type Expectation, type PathCase, type RequestCase } from '../fuzz/bad-inputs';
import { startRuntime, waitForConsumers } from './harness';

const SEED = 20_261_129;
const CONCURRENCY = 6;
const MAX_REQUEST_MS = 10_000;
/** Events per batch request, and the most bytes a batch may take (the stage limit is 1 MiB). */
const BATCH_EVENTS = 60;
const BATCH_BYTES = 700 * 1024;

interface Answer {
  readonly status: number;
  readonly ms: number;
  readonly json: unknown;
  readonly retriedAfter429: number;
}

interface ResultView {
  readonly index: number;
  readonly eventId: string | null;
  readonly status: 'accepted' | 'rejected';
  readonly error?: { readonly field: string; readonly reason: string };
}

/** POSTs `body` with an exact Content-Length (and `contentType` when given); retries the gateway's 429 throttle. */
async function post(base: string, apiKey: string, route: string, body: Buffer, contentType?: string): Promise<Answer> {
  let retriedAfter429 = 0;
  for (;;) {
    const started = Date.now();
    const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const headers: http.OutgoingHttpHeaders = {
        'x-api-key': apiKey,
        'content-length': String(body.length),
        ...(contentType !== undefined ? { 'content-type': contentType } : {}),
      };
      const req = http.request(`${base}${route}`, { method: 'POST', headers, timeout: 30_000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`no answer to ${route} within 30 s`)));
      req.on('error', reject);
      req.end(body);
    });
    const ms = Date.now() - started;
    if (answer.status === 429 && retriedAfter429 < 20) {
      retriedAfter429 += 1;
      await new Promise((r) => setTimeout(r, 100 * retriedAfter429));
      continue;
    }
    let json: unknown;
    try {
      json = JSON.parse(answer.text);
    } catch {
      json = { unparsed: answer.text.slice(0, 200) };
    }
    return { status: answer.status, ms, json, retriedAfter429 };
  }
}

/** Runs `tasks` with at most `limit` in flight, in order of start. */
async function pool<T>(tasks: ReadonlyArray<() => Promise<T>>, limit: number): Promise<T[]> {
  const out: T[] = new Array<T>(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const mine = next;
      next += 1;
      out[mine] = await (tasks[mine] as () => Promise<T>)();
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
  return out;
}

/** Splits cases into batches of at most `maxItems` items (counted by `size`) and `maxBytes` bytes of JSON. */
function batches<T>(cases: readonly T[], text: (c: T) => string, size: (c: T) => number, maxItems: number, maxBytes: number): T[][] {
  const out: T[][] = [];
  let current: T[] = [];
  let items = 0;
  let bytes = 0;
  for (const c of cases) {
    const n = size(c);
    const b = Buffer.byteLength(text(c)) + 1;
    if (current.length > 0 && (items + n > maxItems || bytes + b > maxBytes)) {
      out.push(current);
      current = [];
      items = 0;
      bytes = 0;
    }
    current.push(c);
    items += n;
    bytes += b;
  }
  if (current.length > 0) out.push(current);
  return out;
}

/** Every JSON line under `prefix` of the lake bucket. */
async function lakeLines(s3: S3Client, bucket: string, prefix: string): Promise<Array<Record<string, unknown>>> {
  const lines: Array<Record<string, unknown>> = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const item of page.Contents ?? []) {
      const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: item.Key }));
      const text = gunzipSync(
        Buffer.from(await (got.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray()),
      ).toString('utf8');
      for (const line of text.split('\n')) if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
    }
    token = page.NextContinuationToken;
  } while (token);
  return lines;
}

/** A problem found with one input, for the report. */
interface Problem {
  readonly category: string;
  readonly name: string;
  readonly problem: string;
}

/** Per category: inputs, accepted, refused, and problems. */
type Counts = Record<string, { inputs: number; accepted: number; refused: number; problems: number }>;

describe('bad inputs against the local runtime (standing fuzz test)', () => {
  let runtime: LocalRuntime | undefined;
  let localDir = '';

  beforeAll(async () => {
    ({ runtime, localDir } = await startRuntime());
  }, 180_000);

  afterAll(async () => {
    await runtime?.stop();
    if (localDir !== '') fs.rmSync(localDir, { recursive: true, force: true });
  });

  it('refuses every bad input with a 4xx naming its field, never 5xx or a hang, and archives every accepted event exactly once', async () => {
    if (runtime === undefined) throw new Error('runtime did not start');
    const rt = runtime;
    const { api, apiKey } = rt.endpoints;
    const startedAt = Date.now();

    // prepare
    const inputs = fuzzInputs(SEED, new Date(), `fz${startedAt.toString(36)}`);
    const distinct = new Set<string>([
      ...inputs.events.map((c) => inputKey('event', jsonOf(c.event))),
      ...inputs.documents.map((c) => inputKey('document', jsonOf(c.document))),
      ...inputs.requests.map((c) => inputKey('request', c.body().toString('base64'), `${c.route} ${c.contentType ?? ''}`)),
    ]);
    expect(distinct.size).toBeGreaterThanOrEqual(1500);

    const counts: Counts = {};
    const problems: Problem[] = [];
    const accepted = new Set<string>();
    const slow: string[] = [];
    let throttled = 0;
    const count = (category: string, outcome: 'accepted' | 'refused', problem?: string, name = '') => {
      const c = (counts[category] ??= { inputs: 0, accepted: 0, refused: 0, problems: 0 });
      c.inputs += 1;
      c[outcome] += 1;
      if (problem !== undefined) {
        c.problems += 1;
        problems.push({ category, name, problem });
      }
    };
    const track = (what: string, answer: Answer) => {
      throttled += answer.retriedAfter429;
      if (answer.ms > MAX_REQUEST_MS) slow.push(`${what}: ${answer.ms} ms`);
    };
    /** Checks one result against what the rules say, counting it. */
    const judge = (category: string, name: string, expect: Expectation, result: ResultView | undefined) => {
      if (result === undefined) return count(category, 'refused', 'no result for this input', name);
      if (result.status === 'accepted') {
        if (result.eventId !== null) accepted.add(result.eventId);
        return count(category, 'accepted', expect.kind === 'accept' ? undefined : `accepted, but must be refused on ${expect.field}`, name);
      }
      const field = result.error?.field;
      if (expect.kind === 'accept')
        return count(category, 'refused', `refused on ${String(field)} (${String(result.error?.reason)}), but must be accepted`, name);
      count(
        category,
        'refused',
        field === expect.field && (result.error?.reason ?? '') !== ''
          ? undefined
          : `refused on ${JSON.stringify(field)}, must name ${JSON.stringify(expect.field)}`,
        name,
      );
    };
    /** A batch answer: 200/207/400 with one result per item, else every item gets the problem. */
    const resultsOf = (answer: Answer, expected: number): ResultView[] | string => {
      if (answer.status >= 500) return `status ${answer.status}: ${JSON.stringify(answer.json).slice(0, 200)}`;
      if (![200, 207, 400].includes(answer.status)) return `status ${answer.status}: ${JSON.stringify(answer.json).slice(0, 200)}`;
      const results = (answer.json as { results?: ResultView[] }).results;
      if (!Array.isArray(results) || results.length !== expected)
        return `status ${answer.status} with ${Array.isArray(results) ? results.length : 'no'} results for ${expected} inputs: ${JSON.stringify(answer.json).slice(0, 200)}`;
      return results;
    };

    // act: event cases in batches, path documents in batches, request cases one by one
    const eventBatches = batches<EventCase>(
      inputs.events,
      (c) => jsonOf(c.event),
      () => 1,
      BATCH_EVENTS,
      BATCH_BYTES,
    );
    const documentBatches = batches<PathCase>(
      inputs.documents,
      (c) => jsonOf(c.document),
      (c) => c.results,
      BATCH_EVENTS,
      BATCH_BYTES,
    );
    const tasks: Array<() => Promise<void>> = [
      ...eventBatches.map((batch, b) => async () => {
        const answer = await post(
          api,
          apiKey,
          '/v1/events',
          Buffer.from(`{"events":[${batch.map((c) => jsonOf(c.event)).join(',')}]}`, 'utf8'),
          'application/json',
        );
        track(`event batch ${b}`, answer);
        const results = resultsOf(answer, batch.length);
        batch.forEach((c, i) =>
          typeof results === 'string' ? count(c.category, 'refused', results, c.name) : judge(c.category, c.name, c.expect, results[i]),
        );
      }),
      ...documentBatches.map((batch, b) => async () => {
        const answer = await post(
          api,
          apiKey,
          '/v1/paths',
          Buffer.from(`{"documents":[${batch.map((c) => jsonOf(c.document)).join(',')}]}`, 'utf8'),
          'application/json',
        );
        track(`document batch ${b}`, answer);
        const total = batch.reduce((n, c) => n + c.results, 0);
        const results = resultsOf(answer, total);
        let offset = 0;
        for (const c of batch) {
          if (typeof results === 'string') count(c.category, 'refused', results, c.name);
          else {
            const mine = results.slice(offset, offset + c.results);
            // Every element of a document shares its outcome; judge the first, count the rest's ids.
            judge(c.category, c.name, c.expect, mine[0]);
            for (const r of mine.slice(1)) {
              if (r.status === 'accepted' && r.eventId !== null) accepted.add(r.eventId);
              if (r.status !== mine[0]?.status)
                problems.push({ category: c.category, name: c.name, problem: 'elements of one document got different outcomes' });
            }
          }
          offset += c.results;
        }
      }),
      ...inputs.requests.map((c: RequestCase) => async () => {
        const answer = await post(api, apiKey, c.route, c.body(), c.contentType);
        track(`request ${c.name}`, answer);
        const body = answer.json as { field?: unknown; reason?: unknown; accepted?: number; results?: ResultView[] };
        if (c.expect.kind === 'refuse') {
          const ok =
            answer.status === c.expect.status && body.field === c.expect.field && typeof body.reason === 'string' && body.reason !== '';
          count(
            c.category,
            'refused',
            ok
              ? undefined
              : `got ${answer.status} ${JSON.stringify(answer.json).slice(0, 160)}, must be ${c.expect.status} naming ${c.expect.field}`,
            c.name,
          );
          // Refused whole: nothing of it may be taken.
          for (const r of body.results ?? [])
            if (r.status === 'accepted')
              problems.push({ category: c.category, name: c.name, problem: 'refused request reports an accepted event' });
        } else {
          const ok = answer.status === 200 && body.accepted === c.expect.events;
          for (const r of body.results ?? []) if (r.status === 'accepted' && r.eventId !== null) accepted.add(r.eventId);
          count(
            c.category,
            'accepted',
            ok ? undefined : `got ${answer.status} ${JSON.stringify(answer.json).slice(0, 160)}, must accept ${c.expect.events} events`,
            c.name,
          );
        }
      }),
    ];
    await pool(tasks, CONCURRENCY);
    const sentMs = Date.now() - startedAt;

    // The lake: every accepted event exactly once, nothing of this run that was not accepted.
    const deadline = Date.now() + 60_000;
    while (rt.stats().lakeRecords + rt.stats().lakeBuffered < accepted.size && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 250));
    await waitForConsumers(rt, 60_000);
    await rt.flushLake();
    const bucket = rt.endpoints.outputs['uba-dev-data']?.LakeBucketName ?? '';
    const lines = await lakeLines(rt.s3.client, bucket, 'raw/');
    const seen = new Map<string, number>();
    for (const line of lines) seen.set(String(line.eventId), (seen.get(String(line.eventId)) ?? 0) + 1);
    const duplicated = [...seen.entries()].filter(([, n]) => n > 1).map(([id]) => id);
    const missing = [...accepted].filter((id) => !seen.has(id));
    const unexpected = [...seen.keys()].filter((id) => !accepted.has(id));
    const lakeErrors = await lakeLines(rt.s3.client, bucket, 'errors/');

    // Dead letters: the consumers' failure destinations must hold nothing.
    const deadDir = rt.endpoints.failureDestinations;
    const deadLetters = fs.existsSync(deadDir)
      ? fs.readdirSync(deadDir).flatMap((file) =>
          fs
            .readFileSync(path.join(deadDir, file), 'utf8')
            .split('\n')
            .filter((l) => l.trim() !== '')
            .map((l) => `${file}: ${l.slice(0, 300)}`),
        )
      : [];

    // The report: counts per category, then what went wrong.
    const rows = Object.entries(counts).map(
      ([category, c]) =>
        `${category.padEnd(14)} ${String(c.inputs).padStart(6)} ${String(c.accepted).padStart(9)} ${String(c.refused).padStart(8)} ${String(c.problems).padStart(9)}`,
    );
    const sum = Object.values(counts).reduce((n, c) => n + c.inputs, 0);
    process.stdout.write(
      [
        `fuzz: ${sum} inputs (${distinct.size} distinct) in ${tasks.length} requests, ${sentMs} ms to send, ${throttled} throttle retries, ${accepted.size} events accepted`,
        `${'category'.padEnd(14)} ${'inputs'.padStart(6)} ${'accepted'.padStart(9)} ${'refused'.padStart(8)} ${'problems'.padStart(9)}`,
        ...rows,
        `lake: ${lines.length} lines, ${duplicated.length} duplicated, ${missing.length} missing, ${unexpected.length} unexpected; errors/: ${lakeErrors.length}; dead letters: ${deadLetters.length}`,
        ...problems.slice(0, 40).map((p) => `  ${p.category} / ${p.name.slice(0, 80)}: ${p.problem}`),
        ...deadLetters.slice(0, 5).map((d) => `  dead letter ${d}`),
        '',
      ].join('\n'),
    );

    // assess
    expect(sum).toBeGreaterThanOrEqual(1500);
    expect(problems).toEqual([]);
    expect(slow).toEqual([]);
    expect({ duplicated, missing: missing.slice(0, 10), unexpected: unexpected.slice(0, 10) }).toEqual({
      duplicated: [],
      missing: [],
      unexpected: [],
    });
    expect(lakeErrors).toEqual([]);
    expect(deadLetters).toEqual([]);
  }, 240_000);
});
