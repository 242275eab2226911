import * as fs from 'fs';
import * as path from 'path';
import { DescribeStreamSummaryCommand, KinesisClient } from '@aws-sdk/client-kinesis';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { DeleteMessageCommand, GetQueueUrlCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import type { KinesisOnFailureRecord } from '../../../local/esm/types';
import { LocalDeadLetters, SqsDeadLetters, type DeadLetters } from '../../../scripts/ops/dead-letters';
import { nextStep, reshard } from '../../../scripts/ops/reshard';
import { awsTarget, OpsError, type OpsTarget } from '../../../scripts/ops/target';
import { tempDir } from '../../support/temp-dirs';

const MAX_HASH = 2n ** 128n - 1n;

/** An on-failure document of a one-record batch starting at `seq`. */
const aDeadLetter = (seq: string): KinesisOnFailureRecord => ({
  requestContext: {
    requestId: `r-${seq}`,
    functionArn: 'arn:aws:lambda:us-east-1:1:function:f',
    condition: 'RetryAttemptsExhausted',
    approximateInvokeCount: 6,
  },
  responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
  version: '1.0',
  timestamp: '2026-11-30T00:00:00.000Z',
  KinesisBatchInfo: {
    shardId: 'shardId-000000000000',
    startSequenceNumber: seq,
    endSequenceNumber: seq,
    approximateArrivalOfFirstRecord: '2026-11-30T00:00:00.000Z',
    approximateArrivalOfLastRecord: '2026-11-30T00:00:00.000Z',
    batchSize: 1,
    streamArn: 'arn:aws:kinesis:us-east-1:1:stream/events',
  },
});

/** Stack outputs of a deployed stage. */
const OUTPUTS: Record<string, Record<string, string>> = {
  'uba-dev-data': { StreamName: 'events', LakeBucketName: 'lake' },
  'uba-dev-analytics': {
    ResultsTableName: 'results',
    RealtimeFunctionName: 'realtime-fn',
    RealtimeDeadLetterQueueArn: 'arn:aws:sqs:us-east-1:123456789012:realtime-dlq',
    WindowsFunctionName: 'windows-fn',
    WindowsDeadLetterQueueArn: 'arn:aws:sqs:us-east-1:123456789012:windows-dlq',
  },
};
const describe_ = async (stack: string) => OUTPUTS[stack] ?? {};

describe('reshard plan', () => {
  const one = [{ shardId: 's0', start: 0n, end: MAX_HASH }];

  it('splits the widest shard at its middle hash key', () => {
    expect(nextStep(one, 2)).toEqual({ kind: 'split', shardId: 's0', newStartingHashKey: (2n ** 127n).toString() });
  });

  it('merges the adjacent pair with the narrowest joint range, and stops at the target', () => {
    const three = [
      { shardId: 'a', start: 0n, end: 2n ** 127n - 1n },
      { shardId: 'b', start: 2n ** 127n, end: 2n ** 127n + 2n ** 126n - 1n },
      { shardId: 'c', start: 2n ** 127n + 2n ** 126n, end: MAX_HASH },
    ];
    expect(nextStep(three, 2)).toEqual({ kind: 'merge', shardId: 'b', adjacentShardId: 'c' });
    expect(nextStep(three, 3)).toBeUndefined();
  });
});

describe('commands on a deployed stage', () => {
  const kinesis = mockClient(KinesisClient);
  const sqs = mockClient(SQSClient);
  const lambda = mockClient(LambdaClient);
  let target: OpsTarget | undefined;
  beforeEach(() => {
    kinesis.reset();
    sqs.reset();
    lambda.reset();
    process.env.AWS_REGION = 'us-east-1';
  });
  afterEach(async () => target?.close());

  it('reshard refuses an on-demand stream and says why', async () => {
    // prepare
    kinesis.on(DescribeStreamSummaryCommand).resolves({
      StreamDescriptionSummary: { StreamModeDetails: { StreamMode: 'ON_DEMAND' } } as never,
    });
    target = await awsTarget('dev', describe_);

    // act + assess
    await expect(reshard(target, { shards: 2, apply: true })).rejects.toThrow(/is on-demand: Kinesis adds and removes shards by itself/);
  });

  it('names the missing output when the stack predates the ops outputs', async () => {
    await expect(
      awsTarget('dev', async (stack) => (stack === 'uba-dev-analytics' ? { ResultsTableName: 'r' } : (OUTPUTS[stack] ?? {}))),
    ).rejects.toThrow(
      new OpsError('stack uba-dev-analytics has no RealtimeFunctionName output: deploy (or restart npm start with) this version'),
    );
  });

  it('invokes a consumer and reports a function error as a failure with its payload', async () => {
    // prepare
    lambda
      .on(InvokeCommand, { FunctionName: 'realtime-fn' })
      .resolvesOnce({ Payload: Buffer.from('{"batchItemFailures":[]}') as never })
      .resolvesOnce({ FunctionError: 'Unhandled', Payload: Buffer.from('{"errorType":"Error","errorMessage":"boom"}') as never });
    target = await awsTarget('dev', describe_);

    // act
    const ok = await target.invoke('realtime', { Records: [] });
    const failed = await target.invoke('realtime', { Records: [] });

    // assess
    expect(ok).toEqual({ ok: true, payload: { batchItemFailures: [] } });
    expect(failed).toEqual({ ok: false, error: 'Unhandled: {"errorType":"Error","errorMessage":"boom"}' });
  });
});

describe('dead letters', () => {
  it('SQS: resolves the queue from its ARN, receives each message once, deletes by its receipt', async () => {
    // prepare
    const sqs = mockClient(SQSClient);
    sqs
      .on(GetQueueUrlCommand, { QueueName: 'realtime-dlq', QueueOwnerAWSAccountId: '123456789012' })
      .resolves({ QueueUrl: 'https://sqs/q' });
    sqs
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [{ MessageId: 'm1', ReceiptHandle: 'h1', Body: JSON.stringify(aDeadLetter('10')) }] })
      .resolves({ Messages: [{ MessageId: 'm1', ReceiptHandle: 'h1', Body: JSON.stringify(aDeadLetter('10')) }] });
    sqs.on(DeleteMessageCommand).resolves({});
    const letters = new SqsDeadLetters(new SQSClient({ region: 'us-east-1' }), 'arn:aws:sqs:us-east-1:123456789012:realtime-dlq');

    // act
    const received = await letters.receive(10, 0);
    await letters.delete(received[0] ?? { id: '', record: aDeadLetter('0') });

    // assess
    expect(received.map((l) => [l.id, l.record.KinesisBatchInfo.startSequenceNumber])).toEqual([['m1', '10']]);
    expect(sqs.commandCalls(DeleteMessageCommand)[0]?.args[0].input).toEqual({ QueueUrl: 'https://sqs/q', ReceiptHandle: 'h1' });
  });

  it('local file: a delete hides the line without rewriting the file the mapping appends to', async () => {
    // prepare
    const file = path.join(tempDir('dlq-'), 'q.jsonl');
    fs.writeFileSync(file, `${JSON.stringify(aDeadLetter('1'))}\n${JSON.stringify(aDeadLetter('2'))}\n`);
    const letters: DeadLetters = new LocalDeadLetters(file);
    const before = fs.readFileSync(file, 'utf8');

    // act
    const [first] = await letters.receive(10, 0);
    if (first === undefined) throw new Error('no dead letter read');
    await letters.delete(first);
    fs.appendFileSync(file, `${JSON.stringify(aDeadLetter('3'))}\n`);

    // assess
    expect((await letters.receive(10, 0)).map((l) => l.record.KinesisBatchInfo.startSequenceNumber)).toEqual(['2', '3']);
    expect(await letters.depth()).toBe(2);
    expect(fs.readFileSync(file, 'utf8').startsWith(before)).toBe(true);
  });
});
