/**
 * A consumer's on-failure destination as a queue to drain: the SQS queue on AWS, the JSON-lines
 * file the local event-source mapping appends to (`.local/run/failures/<queue>.jsonl`) locally.
 * Each dead letter is the document Lambda sends for a Kinesis batch it gave up on.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { KinesisOnFailureRecord } from '../../local/esm/types';

/** One dead letter: an id to delete it by, and the batch it describes. */
export interface DeadLetter {
  readonly id: string;
  readonly record: KinesisOnFailureRecord;
}

/** The dead letters of one consumer. */
export interface DeadLetters {
  /** Where they are (queue URL or file). */
  readonly location: string;
  /** Messages waiting (approximate on SQS). */
  depth(): Promise<number>;
  /**
   * The waiting dead letters, at most `max`. On SQS they are hidden from other readers for
   * `hideSeconds` (0 for a look that leaves them visible).
   */
  receive(max: number, hideSeconds: number): Promise<DeadLetter[]>;
  /** Removes one, once its batch was redriven. */
  delete(letter: DeadLetter): Promise<void>;
}

/** True when `value` has the shape of a Kinesis on-failure document. */
function isOnFailureRecord(value: unknown): value is KinesisOnFailureRecord {
  const info = (value as { KinesisBatchInfo?: Record<string, unknown> } | null)?.KinesisBatchInfo;
  return (
    typeof info === 'object' &&
    info !== null &&
    typeof info.shardId === 'string' &&
    typeof info.startSequenceNumber === 'string' &&
    typeof info.endSequenceNumber === 'string' &&
    typeof info.streamArn === 'string'
  );
}

/**
 * The local on-failure file as a queue. The event-source mapping only appends to it; a delete is
 * recorded in `<file>.deleted` (the SHA-256 of the line, one per line), so nothing the mapping
 * appends meanwhile can be lost by a rewrite.
 */
export class LocalDeadLetters implements DeadLetters {
  constructor(readonly location: string) {}

  private get deletedFile(): string {
    return `${this.location}.deleted`;
  }

  private read(file: string): string[] {
    return fs.existsSync(file)
      ? fs
          .readFileSync(file, 'utf8')
          .split('\n')
          .filter((line) => line.trim() !== '')
      : [];
  }

  private waiting(): DeadLetter[] {
    const deleted = new Set(this.read(this.deletedFile));
    const out: DeadLetter[] = [];
    for (const line of this.read(this.location)) {
      const id = createHash('sha256').update(line).digest('hex');
      if (deleted.has(id)) continue;
      const record: unknown = JSON.parse(line);
      if (!isOnFailureRecord(record)) throw new Error(`${this.location}: a line is not a Kinesis on-failure record: ${line.slice(0, 200)}`);
      out.push({ id, record });
    }
    return out;
  }

  async depth(): Promise<number> {
    return this.waiting().length;
  }

  async receive(max: number): Promise<DeadLetter[]> {
    return this.waiting().slice(0, max);
  }

  async delete(letter: DeadLetter): Promise<void> {
    fs.appendFileSync(this.deletedFile, `${letter.id}\n`);
  }
}

/** An SQS queue by its ARN (`arn:aws:sqs:<region>:<account>:<name>`). */
export class SqsDeadLetters implements DeadLetters {
  private url: string | undefined;
  private readonly receipts = new Map<string, string>();

  constructor(
    private readonly client: SQSClient,
    private readonly queueArn: string,
  ) {}

  get location(): string {
    return this.url ?? this.queueArn;
  }

  private async queueUrl(): Promise<string> {
    if (this.url === undefined) {
      const [, , , , account, name] = this.queueArn.split(':');
      const out = await this.client.send(new GetQueueUrlCommand({ QueueName: name, QueueOwnerAWSAccountId: account }));
      if (out.QueueUrl === undefined) throw new Error(`no URL for queue ${this.queueArn}`);
      this.url = out.QueueUrl;
    }
    return this.url;
  }

  async depth(): Promise<number> {
    const out = await this.client.send(
      new GetQueueAttributesCommand({
        QueueUrl: await this.queueUrl(),
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    return Number(out.Attributes?.ApproximateNumberOfMessages ?? 0) + Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
  }

  async receive(max: number, hideSeconds: number): Promise<DeadLetter[]> {
    const url = await this.queueUrl();
    const out: DeadLetter[] = [];
    while (out.length < max) {
      const page = await this.client.send(
        new ReceiveMessageCommand({
          QueueUrl: url,
          MaxNumberOfMessages: Math.min(10, max - out.length),
          VisibilityTimeout: hideSeconds,
          WaitTimeSeconds: 1,
        }),
      );
      const messages = page.Messages ?? [];
      if (messages.length === 0) break;
      let fresh = 0;
      for (const message of messages) {
        if (message.MessageId === undefined || message.ReceiptHandle === undefined || message.Body === undefined) continue;
        if (this.receipts.has(message.MessageId)) continue;
        const record: unknown = JSON.parse(message.Body);
        if (!isOnFailureRecord(record)) throw new Error(`${url}: message ${message.MessageId} is not a Kinesis on-failure record`);
        this.receipts.set(message.MessageId, message.ReceiptHandle);
        out.push({ id: message.MessageId, record });
        fresh += 1;
      }
      // With hideSeconds 0 the same messages come back: stop once a page brings nothing new.
      if (fresh === 0) break;
    }
    return out;
  }

  async delete(letter: DeadLetter): Promise<void> {
    const receipt = this.receipts.get(letter.id);
    if (receipt === undefined) throw new Error(`message ${letter.id} was not received here`);
    await this.client.send(new DeleteMessageCommand({ QueueUrl: await this.queueUrl(), ReceiptHandle: receipt }));
  }
}
