/**
 * On-failure destinations for discarded batches: in memory (tests) or a JSON-lines file an
 * operator can read (`<dir>/<queue-or-topic-name>.jsonl`), standing in for the SQS queue /
 * SNS topic named by `DestinationConfig.OnFailure.Destination`.
 */
import { promises as fsp } from 'fs';
import * as path from 'path';
import type { KinesisOnFailureRecord } from './types';

/** Receives the documents Lambda would send to the on-failure destination. */
export interface FailureDestination {
  send(record: KinesisOnFailureRecord): Promise<void>;
}

/** Keeps on-failure records in an array. */
export class MemoryFailureDestination implements FailureDestination {
  readonly records: KinesisOnFailureRecord[] = [];

  async send(record: KinesisOnFailureRecord): Promise<void> {
    this.records.push(structuredClone(record));
  }
}

/** Appends each on-failure record as one JSON line, fsync'ed, writes in order. */
export class JsonLinesFailureDestination implements FailureDestination {
  private chain: Promise<void> = Promise.resolve();

  constructor(readonly file: string) {}

  send(record: KinesisOnFailureRecord): Promise<void> {
    const line = `${JSON.stringify(record)}\n`;
    const write = this.chain.then(async () => {
      await fsp.mkdir(path.dirname(this.file), { recursive: true });
      const handle = await fsp.open(this.file, 'a');
      try {
        await handle.writeFile(line);
        await handle.sync();
      } finally {
        await handle.close();
      }
    });
    this.chain = write.catch(() => undefined);
    return write;
  }
}

/** The resource name at the end of an SQS / SNS ARN (`arn:aws:sqs:region:acct:name` → `name`). */
export function destinationName(destinationArn: string): string {
  const parts = destinationArn.split(':');
  const name = parts.length >= 6 ? parts.slice(5).join(':') : destinationArn;
  return name.replace(/[^A-Za-z0-9._-]/g, '_') || 'on-failure';
}

/** A JSON-lines destination at `<dir>/<name from the ARN>.jsonl`. */
export function jsonLinesDestinationFor(dir: string, destinationArn: string): JsonLinesFailureDestination {
  return new JsonLinesFailureDestination(path.join(dir, `${destinationName(destinationArn)}.jsonl`));
}
