import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { Item } from '../../lambdas/consumers/store';
import { startDynamoDb, type RunningDynamoDb } from '../../local/services';
import { resultsTableSpec } from './results-table';

/** Results tables on DynamoDB Local for one test file: the document client, and a scan of a table. */
export interface LocalResultsTables {
  /** The document client (available inside the tests, after `beforeAll`). */
  doc(): DynamoDBDocumentClient;
  /** Every item of `table` (consistent), sorted by pk then sk in UTF-8 byte order, as the memory store dumps them. */
  scan(table: string): Promise<Item[]>;
}

/**
 * Starts DynamoDB Local with one results table (the construct's own definition) per name before
 * the file's tests and stops it after them.
 */
export function useResultsTables(names: readonly string[]): LocalResultsTables {
  let db: RunningDynamoDb | undefined;
  let client: DynamoDBDocumentClient | undefined;
  beforeAll(async () => {
    db = await startDynamoDb({ port: 0, tables: names.map((name) => resultsTableSpec(name)) });
    client = DynamoDBDocumentClient.from(db.client, { marshallOptions: { removeUndefinedValues: true } });
  }, 60_000);
  afterAll(async () => {
    await db?.stop();
  });
  const doc = (): DynamoDBDocumentClient => {
    if (client === undefined) throw new Error('DynamoDB Local is not started yet (use it inside a test)');
    return client;
  };
  return {
    doc,
    async scan(table) {
      const items: Item[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const page = await doc().send(
          new ScanCommand({ TableName: table, ConsistentRead: true, ...(start !== undefined ? { ExclusiveStartKey: start } : {}) }),
        );
        items.push(...((page.Items ?? []) as Item[]));
        start = page.LastEvaluatedKey;
      } while (start !== undefined);
      const bytes = (s: unknown) => Buffer.from(String(s), 'utf8');
      return items.sort((a, b) => Buffer.compare(bytes(a.pk), bytes(b.pk)) || Buffer.compare(bytes(a.sk), bytes(b.sk)));
    },
  };
}
