import { randomInt } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { Presets, SingleBar } from 'cli-progress';
import { eventInputSchema, type EventInput } from '../../lambdas/shared/event';
import type { ProduceOptions } from './cli';
import { loadCommodities } from './commodities';
import { resolveTarget, type DescribeStackOutputs, type Target } from './endpoints';
import type { InvalidKind } from './invalid';
import { getScenario } from './scenarios';
import { Sender, type FetchLike, type SendReport } from './sender';
import { createEventStream, type ProducedEvent } from './source';
import { TruthBuilder, type Truth } from './truth';

/** A text sink (process.stdout in the CLI, a buffer in tests). */
export interface Output {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

/** What the run needs from the outside world (injected in tests). */
export interface RunDeps {
  readonly stdout: Output;
  readonly fetch?: FetchLike;
  readonly endpointsFile?: string;
  readonly describeStackOutputs?: DescribeStackOutputs;
  /** Aborting stops producing new events; the run still delivers what it took and prints the summary. */
  readonly signal?: AbortSignal;
  /** Seconds between progress lines when there is no progress bar; default 5. */
  readonly progressIntervalS?: number;
  /** Called with each event the API accepted (as the truth counts it) and its send order. */
  readonly onAccepted?: (event: EventInput, seq: number) => void;
}

/** Header of the truth file: how the run was made and what it delivered. */
export interface TruthMeta {
  readonly version: 1;
  readonly scenario: string;
  readonly seed: number;
  readonly startTime: string | null;
  /** `--days`: the number of days of event time the run was spread over; null without it. */
  readonly days: number | null;
  readonly timeZone: string;
  readonly target: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly sent: number;
  readonly accepted: number;
  readonly rejected: number;
  readonly failed: number;
  readonly expectedInvalid: number;
}

export type TruthFile = { readonly meta: TruthMeta } & Truth;

export interface RunResult {
  readonly exitCode: number;
  readonly seed: number;
  readonly report?: SendReport;
  readonly truth?: TruthFile;
}

/** Expected and observed rejections of deliberately broken events. */
interface InvalidTally {
  readonly expected: Record<string, number>;
  acceptedAnyway: number;
}

function fmtCount(n: number): string {
  return String(n).padStart(8);
}

/** The end-of-run summary as text (pure). */
export function formatSummary(input: {
  readonly scenario: string;
  readonly seed: number;
  readonly target: string;
  readonly report: SendReport;
  readonly expectedInvalid: Readonly<Record<string, number>>;
  readonly invalidAccepted: number;
  readonly truthFile?: string;
}): string {
  const { report: r } = input;
  const expected = Object.values(input.expectedInvalid).reduce((a, b) => a + b, 0);
  const seconds = r.elapsedMs / 1000;
  const lines = [
    '',
    `scenario ${input.scenario}, seed ${input.seed} -> ${input.target}`,
    `sent     ${fmtCount(r.generated)} events in ${r.requests} requests (${r.resent} resends)`,
    `accepted ${fmtCount(r.accepted)}`,
    `rejected ${fmtCount(r.rejected)}${expected > 0 ? `   (expected: ${expected} broken on purpose)` : ''}`,
    ...Object.entries(r.rejectedByReason)
      .sort((a, b) => b[1] - a[1])
      .map(([reason, n]) => `  ${fmtCount(n)}  ${reason}`),
    `failed   ${fmtCount(r.failed)}`,
    ...Object.entries(r.failedByReason)
      .sort((a, b) => b[1] - a[1])
      .map(([reason, n]) => `  ${fmtCount(n)}  ${reason}`),
  ];
  if (expected > 0) {
    const kinds = Object.entries(input.expectedInvalid).map(([k, n]) => `${k} ${n}`);
    lines.push(
      `broken on purpose: ${kinds.join(', ')}${input.invalidAccepted > 0 ? `; ${input.invalidAccepted} of them were ACCEPTED` : ''}`,
    );
  }
  if (r.aborted !== undefined) lines.push(`aborted: ${r.aborted}`);
  lines.push(`elapsed  ${seconds.toFixed(1)} s, ${(seconds > 0 ? r.generated / seconds : 0).toFixed(1)} events/s`);
  if (input.truthFile !== undefined) lines.push(`truth    ${input.truthFile}`);
  return `${lines.join('\n')}\n`;
}

interface Progress {
  update(report: SendReport): void;
  stop(report: SendReport): void;
}

function createProgress(opts: ProduceOptions, deps: RunDeps): Progress {
  const total = opts.count ?? Math.max(1, Math.round(opts.rate * (opts.durationS ?? 0)));
  if (deps.stdout.isTTY === true && !opts.quiet) {
    const bar = new SingleBar(
      {
        format:
          '{bar} {percentage}% | {value}/{total} events | ok {accepted} rej {rejected} fail {failed} | {eps}/s | {duration_formatted}',
        stream: deps.stdout as NodeJS.WritableStream,
        hideCursor: true,
      },
      Presets.shades_classic,
    );
    bar.start(total, 0, { accepted: 0, rejected: 0, failed: 0, eps: '0.0' });
    const payload = (r: SendReport): Record<string, string | number> => ({
      accepted: r.accepted,
      rejected: r.rejected,
      failed: r.failed,
      eps: (r.elapsedMs > 0 ? (r.generated * 1000) / r.elapsedMs : 0).toFixed(1),
    });
    return {
      update: (r) => {
        const done = r.accepted + r.rejected + r.failed;
        if (done > total) bar.setTotal(done);
        bar.update(done, payload(r));
      },
      stop: (r) => {
        const done = r.accepted + r.rejected + r.failed;
        bar.setTotal(Math.max(done, 1));
        bar.update(done, payload(r));
        bar.stop();
      },
    };
  }
  const intervalMs = (deps.progressIntervalS ?? 5) * 1000;
  let last = 0;
  return {
    update: (r) => {
      if (r.elapsedMs - last < intervalMs) return;
      last = r.elapsedMs;
      deps.stdout.write(
        `[${(r.elapsedMs / 1000).toFixed(0)}s] sent ${r.generated}/${total}, accepted ${r.accepted}, rejected ${r.rejected}, failed ${r.failed}, ${r.requests} requests\n`,
      );
    },
    stop: () => undefined,
  };
}

async function writeTruth(file: string, truth: TruthFile): Promise<void> {
  await mkdir(path.dirname(path.resolve(file)), { recursive: true });
  await writeFile(file, `${JSON.stringify(truth, null, 2)}\n`);
}

/** Prints the events as JSON lines instead of sending them (`--dry-run`); times follow a pinned clock. */
function dryRun(opts: ProduceOptions, seed: number, deps: RunDeps): RunResult {
  const count = opts.count ?? Math.max(1, Math.round(opts.rate * (opts.durationS ?? 0)));
  const stream = createEventStream({
    scenario: getScenario(opts.scenario),
    seed,
    rate: opts.rate,
    timeZone: opts.timeZone,
    invalidRatio: opts.invalidRatio,
    ...(opts.steps === undefined ? {} : { steps: opts.steps }),
    startTimeMs: opts.startTimeMs ?? Date.now(),
    count,
    ...(opts.days === undefined ? {} : { history: { days: opts.days, endMs: Date.now() } }),
  });
  for (let e = stream.next(0); e !== undefined; e = stream.next(0)) deps.stdout.write(`${JSON.stringify(e.body)}\n`);
  return { exitCode: 0, seed };
}

/** Runs the producer end to end; resolves with the exit code (1 when any event failed delivery). */
export async function runProducer(opts: ProduceOptions, deps: RunDeps): Promise<RunResult> {
  const seed = opts.seed ?? randomInt(0, 0x1_0000_0000);
  if (opts.dryRun) return dryRun(opts, seed, deps);

  const scenario = getScenario(opts.scenario);
  const target: Target = await resolveTarget({
    endpoint: opts.endpoint,
    apiKey: opts.apiKey,
    stage: opts.stage,
    region: opts.region,
    endpointsFile: deps.endpointsFile,
    describeStackOutputs: deps.describeStackOutputs,
  });

  const startedAt = new Date();
  const truth =
    opts.truth === undefined
      ? undefined
      : new TruthBuilder({ timeZone: opts.timeZone, dimensions: scenario.dimensions, commodities: loadCommodities() });
  const invalid: InvalidTally = { expected: {}, acceptedAnyway: 0 };
  const countInvalid = (kind: InvalidKind): void => {
    invalid.expected[kind] = (invalid.expected[kind] ?? 0) + 1;
  };

  const sender = new Sender<ProducedEvent>({
    url: target.url,
    apiKey: target.apiKey,
    batchSize: opts.batch,
    rate: opts.rate,
    concurrency: opts.concurrency,
    maxRetries: opts.maxRetries,
    fetch: deps.fetch,
    signal: deps.signal,
    onOutcome: (event, outcome) => {
      if (outcome.status !== 'accepted') return;
      if (event.invalid !== undefined) invalid.acceptedAnyway += 1;
      if (truth === undefined && deps.onAccepted === undefined) return;
      let accepted: EventInput | undefined = event.input;
      if (event.invalid !== undefined) {
        // The API took a deliberately broken event: the truth follows the API, if the event is readable.
        const parsed = eventInputSchema.safeParse(event.body);
        accepted = parsed.success ? parsed.data : undefined;
      }
      if (accepted === undefined) return;
      truth?.add(accepted, event.seq);
      deps.onAccepted?.(accepted, event.seq);
    },
  });
  const wallStartMs = Date.now();
  const source = createEventStream({
    scenario,
    seed,
    rate: opts.rate,
    timeZone: opts.timeZone,
    invalidRatio: opts.invalidRatio,
    ...(opts.steps === undefined ? {} : { steps: opts.steps }),
    startTimeMs: opts.startTimeMs,
    count: opts.count,
    durationMs: opts.durationS === undefined ? undefined : opts.durationS * 1000,
    wallStartMs,
    ...(opts.days === undefined ? {} : { history: { days: opts.days, endMs: wallStartMs } }),
  });
  const counted: typeof source = {
    next(nowMs) {
      const e = source.next(nowMs);
      if (e?.invalid !== undefined) countInvalid(e.invalid);
      return e;
    },
  };

  const spread = opts.days === undefined ? '' : `, created over the last ${opts.days} day${opts.days === 1 ? '' : 's'}`;
  deps.stdout.write(`producing ${opts.scenario} (seed ${seed}) at ${opts.rate} events/s${spread} to ${target.url} [${target.source}]\n`);
  const progress = createProgress(opts, deps);
  const ticker = setInterval(() => progress.update(sender.snapshot()), 200);
  let report: SendReport;
  try {
    report = await sender.run(counted);
  } finally {
    clearInterval(ticker);
  }
  progress.stop(report);

  let truthFile: TruthFile | undefined;
  if (truth !== undefined && opts.truth !== undefined) {
    const expectedInvalid = Object.values(invalid.expected).reduce((a, b) => a + b, 0);
    truthFile = {
      meta: {
        version: 1,
        scenario: opts.scenario,
        seed,
        startTime: opts.startTimeMs === undefined ? null : new Date(opts.startTimeMs).toISOString(),
        days: opts.days ?? null,
        timeZone: opts.timeZone,
        target: target.url,
        startedAt: startedAt.toISOString(),
        finishedAt: new Date().toISOString(),
        sent: report.generated,
        accepted: report.accepted,
        rejected: report.rejected,
        failed: report.failed,
        expectedInvalid,
      },
      ...truth.build(),
    };
    await writeTruth(opts.truth, truthFile);
  }

  deps.stdout.write(
    formatSummary({
      scenario: opts.scenario,
      seed,
      target: target.url,
      report,
      expectedInvalid: invalid.expected,
      invalidAccepted: invalid.acceptedAnyway,
      truthFile: opts.truth,
    }),
  );
  const exitCode = report.failed > 0 || report.aborted !== undefined ? 1 : 0;
  return { exitCode, seed, report, ...(truthFile === undefined ? {} : { truth: truthFile }) };
}
