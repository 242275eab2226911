import type { StreamEvent } from '../shared/event';

/** An event whose `errorMsg` contains an error pattern (the alerts scenario's continuous filter). */
export interface ErrorAlert {
  readonly kind: 'error';
  readonly eventId: string;
  readonly action: string;
  readonly userId: string;
  readonly createdAt: string;
  readonly errorMsg: string;
  /** The first configured pattern found in `errorMsg`. */
  readonly matched: string;
  readonly objectId?: string;
  readonly bizId?: string;
}

/** One SNS message for a batch of alerts. */
export interface AlertNotification {
  readonly subject: string;
  readonly message: string;
}

/** Options of {@link summarizeForNotification}. */
export interface SummaryOptions {
  /** Examples listed in full; default 10. */
  readonly maxExamples?: number;
  /** Actions listed with their counts (the rest are summed up in one line); default 50. */
  readonly maxActions?: number;
  /** Byte budget of the message (SNS allows 262144 bytes); default 250000. */
  readonly maxMessageBytes?: number;
}

/** SNS: a subject is ASCII without line breaks or control characters, and under 100 characters. */
export const MAX_SUBJECT_LENGTH = 99;
/** Default byte budget of a message, under SNS's 262144-byte limit with room for attributes. */
export const DEFAULT_MAX_MESSAGE_BYTES = 250_000;
/** Longest `errorMsg` quoted in an example line. */
const EXAMPLE_TEXT = 300;

/**
 * The error alerts of a batch, in batch order: events whose `errorMsg` contains one of
 * `patterns` (case-sensitive substrings), one alert per `eventId` (the first occurrence wins, so a
 * producer retry inside the batch alerts once). Never throws.
 */
export function findErrorAlerts(events: readonly StreamEvent[], patterns: readonly string[]): ErrorAlert[] {
  const alerts: ErrorAlert[] = [];
  if (patterns.length === 0) return alerts;
  const seen = new Set<string>();
  for (const event of events) {
    const { errorMsg } = event;
    if (errorMsg === undefined || errorMsg === '') continue;
    const matched = patterns.find((pattern) => errorMsg.includes(pattern));
    if (matched === undefined || seen.has(event.eventId)) continue;
    seen.add(event.eventId);
    alerts.push({
      kind: 'error',
      eventId: event.eventId,
      action: event.action,
      userId: event.userId,
      createdAt: event.createdAt,
      errorMsg,
      matched,
      ...(event.objectId !== undefined ? { objectId: event.objectId } : {}),
      ...(event.bizId !== undefined ? { bizId: event.bizId } : {}),
    });
  }
  return alerts;
}

/** `text` as printable ASCII on one line (other characters become `?`, runs of space one space). */
export const asciiLine = (text: string): string => text.replace(/[^\x20-\x7e]/g, '?').replace(/\s+/g, ' ');

/** `text` on one line (control characters and line breaks become spaces). */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const oneLine = (text: string): string => text.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ');

const shorten = (text: string, max: number): string => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** Alert counts per action, most first, ties by name. */
function countByAction(alerts: readonly ErrorAlert[]): [string, number][] {
  const counts = new Map<string, number>();
  for (const alert of alerts) counts.set(alert.action, (counts.get(alert.action) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/** The subject: `[stage] 12 error events: viewDoc 10, login 2`, cut to fit SNS (printable ASCII, < 100 chars). */
function subjectOf(total: number, byAction: readonly [string, number][], stage: string | undefined): string {
  const head = `${stage !== undefined && stage !== '' ? `[${asciiLine(stage)}] ` : ''}${total} error event${total === 1 ? '' : 's'}`;
  const parts = byAction.map(([action, count]) => `${asciiLine(action)} ${count}`).join(', ');
  return snsSubject(parts === '' ? head : `${head}: ${parts}`);
}

/** An SNS subject from printable-ASCII text: cut to fit (< 100 characters), starting with a visible character. Never throws. */
export function snsSubject(text: string): string {
  const subject = text.length <= MAX_SUBJECT_LENGTH ? text : `${text.slice(0, MAX_SUBJECT_LENGTH - 3).trimEnd()}...`;
  return /^[\x21-\x7e]/.test(subject) ? subject : `Alert ${subject}`.slice(0, MAX_SUBJECT_LENGTH);
}

/**
 * One notification for the new alerts of a batch (SNS gets one message per batch, not one per
 * event): the subject counts them, the message lists the counts per action (most first, capped)
 * and the first examples in full, cut to the byte budget. Returns undefined when there are no
 * alerts. Never throws.
 */
export function summarizeForNotification(
  newAlerts: readonly ErrorAlert[],
  stage?: string,
  options: SummaryOptions = {},
): AlertNotification | undefined {
  if (newAlerts.length === 0) return undefined;
  const maxExamples = options.maxExamples ?? 10;
  const maxActions = options.maxActions ?? 50;
  const maxBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const byAction = countByAction(newAlerts);

  let first = newAlerts[0]?.createdAt ?? '';
  let last = first;
  for (const { createdAt } of newAlerts) {
    if (createdAt < first) first = createdAt;
    if (createdAt > last) last = createdAt;
  }

  const lines: string[] = [
    `${newAlerts.length} error event${newAlerts.length === 1 ? '' : 's'} in ${byAction.length} action${byAction.length === 1 ? '' : 's'}${stage !== undefined && stage !== '' ? ` (stage ${oneLine(stage)})` : ''}.`,
    `Event time: ${first} .. ${last}`,
    '',
    'By action:',
    ...byAction.slice(0, maxActions).map(([action, count]) => `  ${oneLine(action)}: ${count}`),
  ];
  if (byAction.length > maxActions) {
    const rest = byAction.slice(maxActions);
    lines.push(`  … and ${rest.length} more actions with ${rest.reduce((sum, [, count]) => sum + count, 0)} events`);
  }
  const examples = newAlerts.slice(0, maxExamples);
  lines.push('', `First ${examples.length} of ${newAlerts.length}:`);
  for (const alert of examples) {
    const ids = [
      `event=${alert.eventId}`,
      `user=${alert.userId}`,
      ...(alert.objectId !== undefined ? [`object=${alert.objectId}`] : []),
      ...(alert.bizId !== undefined ? [`biz=${alert.bizId}`] : []),
    ];
    lines.push(
      `  ${alert.createdAt} ${oneLine(alert.action)} ${ids.join(' ')} matched ${alert.matched}: ${shorten(oneLine(alert.errorMsg), EXAMPLE_TEXT)}`,
    );
  }

  return { subject: subjectOf(newAlerts.length, byAction, stage), message: fitMessage(lines, maxBytes) };
}

/**
 * `lines` joined by newlines, cut after the last whole line that fits `maxBytes` (UTF-8) and then
 * marked `… (truncated)`, so that a message stays under SNS's 256 KB. Never throws.
 */
export function fitMessage(lines: readonly string[], maxBytes: number = DEFAULT_MAX_MESSAGE_BYTES): string {
  const marker = '… (truncated)';
  const budget = maxBytes - Buffer.byteLength(marker) - 1;
  let bytes = 0;
  const kept: string[] = [];
  for (const line of lines) {
    const size = Buffer.byteLength(line) + 1;
    if (bytes + size > budget) {
      kept.push(marker);
      break;
    }
    kept.push(line);
    bytes += size;
  }
  return kept.join('\n');
}
