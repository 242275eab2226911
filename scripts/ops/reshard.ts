/**
 * `npm run ops -- reshard --shards N [--apply]`: changes the open shard count of a provisioned
 * stream by splitting the widest shards at their middle hash key, or merging the adjacent pair
 * with the narrowest joint range, one step at a time (each waits for the stream to be ACTIVE
 * again), which is what `UpdateShardCount` with uniform scaling does. An on-demand stream scales
 * by itself: the command explains and refuses.
 */
import {
  DescribeStreamSummaryCommand,
  ListShardsCommand,
  MergeShardsCommand,
  SplitShardCommand,
  type KinesisClient,
  type Shard,
} from '@aws-sdk/client-kinesis';
import { OpsError, type OpsTarget } from './target';

/** One open shard's hash key range. */
interface OpenShard {
  readonly shardId: string;
  readonly start: bigint;
  readonly end: bigint;
}

/** One step of the plan. */
export type ReshardStep =
  | { readonly kind: 'split'; readonly shardId: string; readonly newStartingHashKey: string }
  | { readonly kind: 'merge'; readonly shardId: string; readonly adjacentShardId: string };

/** What the command found and did. */
export interface ReshardReport {
  readonly from: number;
  readonly to: number;
  readonly steps: readonly ReshardStep[];
  readonly applied: boolean;
}

async function openShards(kinesis: KinesisClient, streamName: string): Promise<OpenShard[]> {
  const shards: Shard[] = [];
  let token: string | undefined;
  do {
    const page = await kinesis.send(
      token === undefined ? new ListShardsCommand({ StreamName: streamName }) : new ListShardsCommand({ NextToken: token }),
    );
    shards.push(...(page.Shards ?? []));
    token = page.NextToken;
  } while (token !== undefined);
  return shards
    .filter((s) => s.SequenceNumberRange?.EndingSequenceNumber === undefined)
    .map((s) => ({
      shardId: s.ShardId ?? '',
      start: BigInt(s.HashKeyRange?.StartingHashKey ?? '0'),
      end: BigInt(s.HashKeyRange?.EndingHashKey ?? '0'),
    }))
    .sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
}

/** The next step from `shards` towards `target` open shards, or undefined when there. Pure. */
export function nextStep(shards: readonly OpenShard[], target: number): ReshardStep | undefined {
  if (shards.length < target) {
    const widest = shards.reduce((a, b) => (b.end - b.start > a.end - a.start ? b : a));
    return {
      kind: 'split',
      shardId: widest.shardId,
      newStartingHashKey: (widest.start + (widest.end - widest.start + 1n) / 2n).toString(),
    };
  }
  if (shards.length > target) {
    let best: [OpenShard, OpenShard] | undefined;
    for (let i = 0; i + 1 < shards.length; i++) {
      const a = shards[i] as OpenShard;
      const b = shards[i + 1] as OpenShard;
      if (a.end + 1n !== b.start) continue;
      if (best === undefined || b.end - a.start < best[1].end - best[0].start) best = [a, b];
    }
    if (best === undefined) throw new OpsError('no two open shards are adjacent: cannot merge');
    return { kind: 'merge', shardId: best[0].shardId, adjacentShardId: best[1].shardId };
  }
  return undefined;
}

/** Resolves when the stream is ACTIVE (polling every `pollMs`); rejects after `timeoutMs`. */
async function waitActive(kinesis: KinesisClient, streamName: string, pollMs: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const out = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: streamName }));
    if (out.StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return;
    if (Date.now() > deadline) throw new OpsError(`stream ${streamName} is not ACTIVE after ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/**
 * Plans (and with `apply`, carries out) the change to `shards` open shards. Throws OpsError for
 * an on-demand stream, and for a count outside what one `UpdateShardCount` allows (half to double
 * the open shards). Rejects on a Kinesis error.
 */
export async function reshard(
  target: OpsTarget,
  options: { readonly shards: number; readonly apply: boolean; readonly pollMs?: number; readonly timeoutMs?: number },
): Promise<ReshardReport> {
  const { kinesis } = target;
  const streamName = target.resources.streamName;
  const summary = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: streamName }));
  if (summary.StreamDescriptionSummary?.StreamModeDetails?.StreamMode === 'ON_DEMAND') {
    throw new OpsError(
      `stream ${streamName} of stage ${target.stage} is on-demand: Kinesis adds and removes shards by itself (up to double the previous ` +
        'peak write throughput at once); there is nothing to reshard. Throttled writes on an on-demand stream mean a sudden peak beyond ' +
        'double the previous one: producers retry, see docs/operations.md#stream-write-throttles.',
    );
  }
  let shards = await openShards(kinesis, streamName);
  const from = shards.length;
  if (options.shards < Math.ceil(from / 2) || options.shards > from * 2) {
    throw new OpsError(
      `--shards ${options.shards}: from ${from} open shards, one reshard goes to ${Math.ceil(from / 2)}..${from * 2} (as UpdateShardCount allows); reshard in steps`,
    );
  }
  const steps: ReshardStep[] = [];
  if (!options.apply) {
    // The plan, on a simulated copy of the shard map.
    let simulated = shards;
    for (let step = nextStep(simulated, options.shards); step !== undefined; step = nextStep(simulated, options.shards)) {
      steps.push(step);
      simulated = simulate(simulated, step);
    }
    return { from, to: options.shards, steps, applied: false };
  }
  for (let step = nextStep(shards, options.shards); step !== undefined; step = nextStep(shards, options.shards)) {
    if (step.kind === 'split') {
      await kinesis.send(
        new SplitShardCommand({ StreamName: streamName, ShardToSplit: step.shardId, NewStartingHashKey: step.newStartingHashKey }),
      );
    } else {
      await kinesis.send(
        new MergeShardsCommand({ StreamName: streamName, ShardToMerge: step.shardId, AdjacentShardToMerge: step.adjacentShardId }),
      );
    }
    steps.push(step);
    await waitActive(kinesis, streamName, options.pollMs ?? 2_000, options.timeoutMs ?? 300_000);
    shards = await openShards(kinesis, streamName);
  }
  return { from, to: shards.length, steps, applied: true };
}

/** The open shards after `step` (new shards named after their parents). Pure. */
function simulate(shards: readonly OpenShard[], step: ReshardStep): OpenShard[] {
  if (step.kind === 'split') {
    return shards.flatMap((s) => {
      if (s.shardId !== step.shardId) return [s];
      const middle = BigInt(step.newStartingHashKey);
      return [
        { shardId: `${s.shardId}/a`, start: s.start, end: middle - 1n },
        { shardId: `${s.shardId}/b`, start: middle, end: s.end },
      ];
    });
  }
  const a = shards.find((s) => s.shardId === step.shardId);
  const b = shards.find((s) => s.shardId === step.adjacentShardId);
  if (a === undefined || b === undefined) return [...shards];
  return shards
    .filter((s) => s !== a && s !== b)
    .concat([{ shardId: `${a.shardId}+${b.shardId}`, start: a.start, end: b.end }])
    .sort((x, y) => (x.start < y.start ? -1 : x.start > y.start ? 1 : 0));
}
