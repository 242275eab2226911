/**
 * `npm run ops -- replay-quarantine --date D [--apply]`: after the fix of whatever made the
 * consumer quarantine records (a decoding rule, a limit), puts the quarantined records of arrival
 * day D (UTC) back into the stream, each at most once: an item is claimed (`replayedAt`, written
 * only if absent) before its record is put, and given `replayedSequenceNumber` after. A dry run
 * (the default) only lists them.
 */
import { PutRecordCommand } from '@aws-sdk/client-kinesis';
import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { KEYS } from '../../lambdas/shared/results-table';
import type { OpsTarget } from './target';

export interface ReplayOptions {
  /** Arrival day of the quarantined records, UTC, `YYYY-MM-DD`. */
  readonly date: string;
  readonly apply: boolean;
}

/** What happened to one quarantined item. */
export interface ReplayLine {
  readonly shardId: string;
  readonly sequenceNumber: string;
  readonly consumer: string;
  readonly reason: string;
  readonly outcome: 'would replay' | 'replayed' | 'already replayed' | 'claimed, not confirmed' | 'not replayable' | 'failed';
  readonly detail?: string;
}

/** Kinesis' limit on a partition key. */
const MAX_PARTITION_KEY = 256;

/**
 * Replays (or lists) the quarantined records of `options.date`; see the module comment. An item
 * claimed by an earlier run that stopped before confirming is reported (`claimed, not confirmed`)
 * and not put again: check the stream or the results before clearing its `replayedAt`. Rejects on
 * a DynamoDB error; a failed put is reported and its claim withdrawn.
 */
export async function replayQuarantine(target: OpsTarget, options: ReplayOptions): Promise<ReplayLine[]> {
  const table = target.resources.resultsTable;
  const { pk } = KEYS.quarantine(options.date, '', '');
  const items: Array<Record<string, unknown>> = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await target.doc.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': pk },
        ConsistentRead: true,
        ...(start !== undefined ? { ExclusiveStartKey: start } : {}),
      }),
    );
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start !== undefined);

  const lines: ReplayLine[] = [];
  for (const item of items) {
    const base = {
      shardId: String(item.shardId ?? ''),
      sequenceNumber: String(item.sequenceNumber ?? ''),
      consumer: String(item.consumer ?? ''),
      reason: String(item.reason ?? ''),
    };
    if (typeof item.replayedSequenceNumber === 'string') {
      lines.push({ ...base, outcome: 'already replayed', detail: `as ${item.replayedSequenceNumber}` });
      continue;
    }
    if (typeof item.replayedAt === 'string') {
      lines.push({ ...base, outcome: 'claimed, not confirmed', detail: `claimed ${item.replayedAt}` });
      continue;
    }
    if (typeof item.data !== 'string' || item.truncated === true) {
      lines.push({
        ...base,
        outcome: 'not replayable',
        detail: item.truncated === true ? 'its data was truncated when quarantined' : 'not a stream record',
      });
      continue;
    }
    if (!options.apply) {
      lines.push({ ...base, outcome: 'would replay' });
      continue;
    }
    const key = { pk: item.pk, sk: item.sk };
    const claimedAt = new Date().toISOString();
    try {
      await target.doc.send(
        new UpdateCommand({
          TableName: table,
          Key: key,
          UpdateExpression: 'SET replayedAt = :at',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(replayedAt)',
          ExpressionAttributeValues: { ':at': claimedAt },
        }),
      );
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') {
        lines.push({ ...base, outcome: 'already replayed', detail: 'claimed by another run' });
        continue;
      }
      throw error;
    }
    const partitionKey = (
      typeof item.partitionKey === 'string' && item.partitionKey !== '' ? item.partitionKey : base.sequenceNumber
    ).slice(0, MAX_PARTITION_KEY);
    let sequenceNumber: string | undefined;
    try {
      const out = await target.kinesis.send(
        new PutRecordCommand({
          StreamName: target.resources.streamName,
          PartitionKey: partitionKey,
          Data: Buffer.from(item.data, 'base64'),
        }),
      );
      sequenceNumber = out.SequenceNumber;
    } catch (error) {
      await target.doc.send(
        new UpdateCommand({
          TableName: table,
          Key: key,
          UpdateExpression: 'REMOVE replayedAt',
          ConditionExpression: 'replayedAt = :at',
          ExpressionAttributeValues: { ':at': claimedAt },
        }),
      );
      lines.push({ ...base, outcome: 'failed', detail: `${(error as Error).name}: ${(error as Error).message}` });
      continue;
    }
    await target.doc.send(
      new UpdateCommand({
        TableName: table,
        Key: key,
        UpdateExpression: 'SET replayedSequenceNumber = :seq',
        ExpressionAttributeValues: { ':seq': sequenceNumber ?? '' },
      }),
    );
    lines.push({ ...base, outcome: 'replayed', detail: `as ${sequenceNumber ?? '?'}` });
  }
  return lines;
}
