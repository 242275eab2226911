import { DateTime } from 'luxon';
import { z } from 'zod';
import type { AppLogger } from '../shared/logger';
import { exportKey } from '../shared/reports';
import type { QueryRunner } from './athena';
import { exportsOfRun, reportRows } from './exports';
import { addDays, daysBetween, isDay, planReports } from './plan';
import type { LakeStore } from './store';

/** Where the curated table and the compaction's staging objects live in the lake bucket. */
export const CURATED_PREFIX = 'curated/events/';
export const STAGING_PREFIX = 'curated/staging/';
/** The curated table's partition column. */
export const PARTITION_COLUMN = 'event_day';

/** Most arrival days one invocation takes. */
export const MAX_ARRIVAL_DAYS = 366;

export interface JobConfig {
  /** The lake bucket (raw/, dim/, curated/, exports/). */
  readonly bucket: string;
}

/** What the job logs through: the Lambda kit's logger fits, tests pass a recording fake. */
export type JobLogger = Pick<AppLogger, 'info'>;

export interface JobDeps {
  readonly runner: QueryRunner;
  readonly store: LakeStore;
  readonly config: JobConfig;
  readonly log: JobLogger;
  /** A fresh unique id per compaction (names its staging prefix). */
  readonly newId: () => string;
}

/** What one run did. */
export interface JobSummary {
  readonly arrivalDays: readonly string[];
  /** Event days whose curated partition was rewritten. */
  readonly eventDays: readonly string[];
  /** Export files written (CSV and JSON count separately). */
  readonly exportsWritten: number;
}

/** The job's input: one arrival day, a range of them, or nothing (yesterday). */
export const jobInputSchema = z
  .object({
    date: z.string().refine(isDay, 'must be a day written YYYY-MM-DD').optional(),
    from: z.string().refine(isDay, 'must be a day written YYYY-MM-DD').optional(),
    to: z.string().refine(isDay, 'must be a day written YYYY-MM-DD').optional(),
  })
  .strict()
  .refine((i) => !(i.date !== undefined && (i.from !== undefined || i.to !== undefined)), {
    message: 'give either date or from/to, not both',
    path: ['date'],
  })
  .refine((i) => (i.from === undefined) === (i.to === undefined), { message: 'from and to go together', path: ['to'] })
  .refine((i) => i.from === undefined || i.to === undefined || i.from <= i.to, { message: 'must not be before from', path: ['to'] })
  .refine((i) => i.from === undefined || i.to === undefined || daysBetween(i.from, i.to).length <= MAX_ARRIVAL_DAYS, {
    message: `at most ${MAX_ARRIVAL_DAYS} days`,
    path: ['to'],
  });
export type JobInput = z.infer<typeof jobInputSchema>;

/** Thrown for an input the job does not take; the message names the field and the reason. */
export class JobInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JobInputError';
  }
}

/** The arrival days of an input: `date`, `from..to`, or the day before `now` in `timeZone`. Throws JobInputError for a bad input. */
export function arrivalDaysOf(input: unknown, now: Date, timeZone: string): string[] {
  const parsed = jobInputSchema.safeParse(input ?? {});
  if (!parsed.success) {
    throw new JobInputError(parsed.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; '));
  }
  const i = parsed.data;
  if (i.date !== undefined) return [i.date];
  if (i.from !== undefined && i.to !== undefined) return daysBetween(i.from, i.to);
  const today = DateTime.fromJSDate(now, { zone: timeZone }).toISODate() ?? '';
  return [addDays(today, -1)];
}

/** The event days the curated table holds, from its partition prefixes. */
export async function curatedDays(deps: Pick<JobDeps, 'store'>): Promise<string[]> {
  const days = new Set<string>();
  for (const key of await deps.store.list(CURATED_PREFIX)) {
    const m = /^curated\/events\/event_day=(\d{4}-\d{2}-\d{2})\//.exec(key);
    if (m) days.add(m[1]);
  }
  return [...days].sort();
}

/**
 * Compacts one arrival day: finds the event days of its raw events, UNLOADs them merged with those
 * days' curated rows (one row per event day and eventId, the first received) to a fresh staging
 * prefix, then replaces each of those partitions' objects with the staged ones (copy the new,
 * delete the old, delete the staging). Running it again gives the same rows. Resolves with the
 * event days rewritten; rejects when a query or an S3 call fails (a partition may then hold old
 * and new objects at once, which the next run's deduplication absorbs).
 */
export async function compactArrivalDay(deps: JobDeps, arrival: string): Promise<string[]> {
  const { runner, store, config, log } = deps;
  const found = await runner.select('compact-days', { arrival_day: arrival });
  const days = found.rows.map((r) => r[0]).filter((d): d is string => d !== null && isDay(d));
  if (days.length === 0) {
    log.info('no raw events for the arrival day', { arrival });
    return [];
  }
  const id = deps.newId();
  const staging = `${STAGING_PREFIX}${arrival}/${id}/`;
  await runner.unload(
    'compact',
    { arrival_day: arrival, first_day: days[0], last_day: days[days.length - 1] },
    `s3://${config.bucket}/${staging}`,
    PARTITION_COLUMN,
  );
  const staged = await store.list(staging);
  for (const day of days) {
    const partition = `${CURATED_PREFIX}${PARTITION_COLUMN}=${day}/`;
    const fresh = staged.filter((k) => k.startsWith(`${staging}${PARTITION_COLUMN}=${day}/`));
    if (fresh.length === 0) throw new Error(`compaction of ${arrival} staged nothing for event day ${day}`);
    const old = await store.list(partition);
    const written: string[] = [];
    for (const key of fresh) {
      const target = `${partition}${id}-${key.slice(key.lastIndexOf('/') + 1)}`;
      await store.copy(key, target);
      written.push(target);
    }
    await store.remove(old.filter((k) => !written.includes(k)));
  }
  await store.remove(staged);
  log.info('compacted', { arrival, eventDays: days, objects: staged.length });
  return days;
}

/**
 * Recomputes every report for what changed when the event days `eventDays` were rewritten (see
 * planReports) and writes each bucket's CSV and JSON under `exports/<report>/dt=<day>/`.
 * Resolves with the number of files written; rejects when a query or a write fails.
 */
export async function writeReports(deps: JobDeps, eventDays: readonly string[]): Promise<number> {
  if (eventDays.length === 0) return 0;
  let written = 0;
  for (const run of planReports(eventDays, await curatedDays(deps))) {
    const rows = [];
    for (const call of run.calls) rows.push(...reportRows(run.report, await deps.runner.select(call.query, call.values)));
    for (const file of exportsOfRun(run, rows)) {
      await deps.store.put(exportKey(file.report, file.day, 'csv'), file.csv, 'text/csv; charset=utf-8');
      await deps.store.put(exportKey(file.report, file.day, 'json'), file.json, 'application/json');
      written += 2;
    }
  }
  return written;
}

/**
 * The daily job: compacts each arrival day in order, then recomputes the reports for the event
 * days that changed. The same input over the same raw data writes identical files.
 */
export async function runDailyJob(deps: JobDeps, arrivalDays: readonly string[]): Promise<JobSummary> {
  const touched = new Set<string>();
  for (const arrival of arrivalDays) for (const day of await compactArrivalDay(deps, arrival)) touched.add(day);
  const eventDays = [...touched].sort();
  const exportsWritten = await writeReports(deps, eventDays);
  deps.log.info('reports written', { arrivalDays, eventDays, exportsWritten });
  return { arrivalDays, eventDays, exportsWritten };
}
