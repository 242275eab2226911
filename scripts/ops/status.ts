/**
 * `npm run ops -- status`: the consumers' iterator ages, their dead-letter depths, the newest
 * object in the lake and the newest alert.
 */
import { ListObjectsV2Command, type _Object } from '@aws-sdk/client-s3';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ALERTS_BY_TIME_INDEX, KEYS } from '../../lambdas/shared/results-table';
import { CONSUMERS, type ConsumerName, type OpsTarget } from './target';

export interface StageStatus {
  readonly stage: string;
  readonly where: string;
  readonly consumers: Readonly<Record<ConsumerName, { readonly iteratorAgeMs: number | undefined; readonly deadLetters: number }>>;
  /** The newest object under `raw/` in the last three days of partitions. */
  readonly lastLakeObject?: { readonly key: string; readonly lastModified: string };
  /** The newest alert of today or yesterday (UTC). */
  readonly lastAlert?: { readonly id: string; readonly kind: string; readonly createdAt: string };
}

const DAY_MS = 86_400_000;
const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** The newest lake object of the last three days (partition days are in the stage time zone, so a day of margin). */
async function lastLakeObject(target: OpsTarget, now: number): Promise<StageStatus['lastLakeObject']> {
  let newest: _Object | undefined;
  let token: string | undefined;
  do {
    const page = await target.s3.send(
      new ListObjectsV2Command({
        Bucket: target.resources.lakeBucket,
        Prefix: 'raw/',
        StartAfter: `raw/dt=${utcDay(now - 3 * DAY_MS)}`,
        ...(token !== undefined ? { ContinuationToken: token } : {}),
      }),
    );
    for (const object of page.Contents ?? []) {
      if ((object.LastModified?.getTime() ?? 0) >= (newest?.LastModified?.getTime() ?? -1)) newest = object;
    }
    token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return newest?.Key === undefined ? undefined : { key: newest.Key, lastModified: newest.LastModified?.toISOString() ?? '' };
}

/** The newest alert of today, else of yesterday (UTC days of the alerts-by-time index). */
async function lastAlert(target: OpsTarget, now: number): Promise<StageStatus['lastAlert']> {
  for (const day of [utcDay(now), utcDay(now - DAY_MS)]) {
    const out = await target.doc.send(
      new QueryCommand({
        TableName: target.resources.resultsTable,
        IndexName: ALERTS_BY_TIME_INDEX,
        KeyConditionExpression: 'gpk = :day',
        ExpressionAttributeValues: { ':day': KEYS.alertsByDay(day) },
        ScanIndexForward: false,
        Limit: 1,
      }),
    );
    const item = out.Items?.[0];
    if (item !== undefined)
      return { id: String(item.id ?? item.pk), kind: String(item.kind ?? ''), createdAt: String(item.createdAt ?? '') };
  }
  return undefined;
}

/** Collects the status of `target`. Rejects on an AWS error. */
export async function stageStatus(target: OpsTarget, now = Date.now()): Promise<StageStatus> {
  const [ages, depths, lake, alert] = await Promise.all([
    target.iteratorAges(),
    Promise.all(CONSUMERS.map((c) => target.deadLetters(c).depth())),
    lastLakeObject(target, now),
    lastAlert(target, now),
  ]);
  const consumers = Object.fromEntries(
    CONSUMERS.map((c, i) => [c, { iteratorAgeMs: ages[c], deadLetters: depths[i] ?? 0 }]),
  ) as StageStatus['consumers'];
  return {
    stage: target.stage,
    where: target.where,
    consumers,
    ...(lake !== undefined ? { lastLakeObject: lake } : {}),
    ...(alert !== undefined ? { lastAlert: alert } : {}),
  };
}

/** The status as lines for a terminal. */
export function formatStatus(status: StageStatus, now = Date.now()): string[] {
  const ago = (iso: string) => `${Math.max(0, Math.round((now - Date.parse(iso)) / 1000))} s ago`;
  return [
    `stage ${status.stage} (${status.where})`,
    ...CONSUMERS.map((c) => {
      const s = status.consumers[c];
      const age = s.iteratorAgeMs === undefined ? 'iterator age unknown' : `iterator age ${(s.iteratorAgeMs / 1000).toFixed(1)} s`;
      return `  ${c.padEnd(9)} ${age}, ${s.deadLetters} dead letter${s.deadLetters === 1 ? '' : 's'}`;
    }),
    status.lastLakeObject === undefined
      ? '  lake      no object in the last three days'
      : `  lake      ${status.lastLakeObject.key} (${ago(status.lastLakeObject.lastModified)})`,
    status.lastAlert === undefined
      ? '  alerts    none today or yesterday (UTC)'
      : `  alerts    ${status.lastAlert.kind} ${status.lastAlert.id} at ${status.lastAlert.createdAt}`,
  ];
}
