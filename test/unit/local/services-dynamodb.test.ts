import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DescribeTableCommand, DescribeTimeToLiveCommand, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { StackTemplate, TemplateResolver } from '../../../local/template';
import { ensureLauncher, findDynamoDbLocalJar } from '../../../local/services/dynamodb-launcher';
import { JavaNotFoundError, findJava, RunningDynamoDb, dynamoTablesFromTemplate, isPortOpen, startDynamoDb } from '../../../local/services';

const stack: StackTemplate = {
  stackName: 'uba-dev-data',
  artifactId: 'uba-dev-data',
  displayName: 'uba-dev-data',
  templatePath: '/tmp/x.json',
  assemblyDir: '/tmp',
  dependencies: [],
  template: {
    Resources: {
      AlertsTable: {
        Type: 'AWS::DynamoDB::Table',
        Properties: {
          KeySchema: [
            { AttributeName: 'pk', KeyType: 'HASH' },
            { AttributeName: 'sk', KeyType: 'RANGE' },
          ],
          AttributeDefinitions: [
            { AttributeName: 'pk', AttributeType: 'S' },
            { AttributeName: 'sk', AttributeType: 'S' },
            { AttributeName: 'action', AttributeType: 'S' },
            { AttributeName: 'ts', AttributeType: 'N' },
          ],
          BillingMode: 'PAY_PER_REQUEST',
          GlobalSecondaryIndexes: [
            {
              IndexName: 'byAction',
              KeySchema: [
                { AttributeName: 'action', KeyType: 'HASH' },
                { AttributeName: 'ts', KeyType: 'RANGE' },
              ],
              Projection: { ProjectionType: 'ALL' },
            },
          ],
          TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
          StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        },
      },
    },
  },
};

describe('DynamoDB Local', () => {
  const resolver = new TemplateResolver([stack]);
  const dirs: string[] = [];
  let db: RunningDynamoDb | undefined;

  afterAll(async () => {
    await db?.stop();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  it('maps the template to CreateTable input', () => {
    const [spec] = dynamoTablesFromTemplate(resolver);
    expect(spec.ttlAttribute).toBe('expiresAt');
    expect(spec.input).toMatchObject({
      TableName: resolver.physicalName('uba-dev-data', 'AlertsTable'),
      BillingMode: 'PAY_PER_REQUEST',
      StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
      GlobalSecondaryIndexes: [{ IndexName: 'byAction', Projection: { ProjectionType: 'ALL' } }],
    });
    expect(spec.input.ProvisionedThroughput).toBeUndefined();
  });

  it('says to install Java 17 when java is not on PATH', async () => {
    await expect(startDynamoDb({ port: 0, env: { PATH: '/nonexistent' } })).rejects.toThrow(JavaNotFoundError);
    await expect(startDynamoDb({ port: 0, env: { PATH: '/nonexistent' } })).rejects.toThrow(/apt-get install openjdk-17-jre-headless/);
  });

  it('compiles the loopback launcher once per source and jar, safely when two starts race', async () => {
    const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'uba-ddb-launcher-'));
    dirs.push(cache);
    const java = findJava();
    if (!java) throw new JavaNotFoundError();
    const jar = findDynamoDbLocalJar();
    const [a, b] = await Promise.all([ensureLauncher(java, jar, cache), ensureLauncher(java, jar, cache)]);
    expect(a).toBe(b);
    expect(fs.existsSync(path.join(a, 'LoopbackDynamoDbLocal.class'))).toBe(true);
    expect(fs.readdirSync(cache)).toEqual([path.basename(a)]);
    const started = Date.now();
    expect(await ensureLauncher(java, jar, cache)).toBe(a);
    expect(Date.now() - started).toBeLessThan(500);
  });

  it('creates a table with GSI, TTL and stream, restarts idempotently on persisted data, and stops', async () => {
    const tables = dynamoTablesFromTemplate(resolver);
    const persistDir = fs.mkdtempSync(path.join(os.tmpdir(), 'uba-ddb-'));
    dirs.push(persistDir);
    db = await startDynamoDb({ port: 0, tables, persistDir });
    expect(db.tables).toEqual([{ name: tables[0].name, created: true }]);
    const t = (await db.client.send(new DescribeTableCommand({ TableName: tables[0].name }))).Table;
    expect(t?.GlobalSecondaryIndexes?.map((g) => g.IndexName)).toEqual(['byAction']);
    expect(t?.StreamSpecification).toMatchObject({ StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' });
    const ttl = await db.client.send(new DescribeTimeToLiveCommand({ TableName: tables[0].name }));
    expect(ttl.TimeToLiveDescription).toMatchObject({ TimeToLiveStatus: 'ENABLED', AttributeName: 'expiresAt' });
    await db.client.send(
      new PutItemCommand({
        TableName: tables[0].name,
        Item: { pk: { S: 'a' }, sk: { S: '1' }, action: { S: 'click' }, ts: { N: '5' } },
      }),
    );
    const port = db.port;
    await db.stop();
    db = undefined;
    expect(await isPortOpen(port)).toBe(false);

    db = await startDynamoDb({ port: 0, tables, persistDir });
    expect(db.tables).toEqual([{ name: tables[0].name, created: false }]);
    expect(db.warnings).toEqual([]);
    const q = await db.client.send(
      new QueryCommand({
        TableName: tables[0].name,
        IndexName: 'byAction',
        KeyConditionExpression: '#a = :a',
        ExpressionAttributeNames: { '#a': 'action' },
        ExpressionAttributeValues: { ':a': { S: 'click' } },
      }),
    );
    expect(q.Items).toHaveLength(1);
    const port2 = db.port;
    // Loopback only: the same port on this machine's other addresses refuses connections.
    const external = Object.values(os.networkInterfaces())
      .flat()
      .find((a) => a !== undefined && a.family === 'IPv4' && !a.internal)?.address;
    expect(await isPortOpen(port2, '127.0.0.1')).toBe(true);
    if (external !== undefined) expect(await isPortOpen(port2, external)).toBe(false);
    if (process.platform === 'linux')
      expect(fs.readFileSync('/proc/net/tcp', 'utf8')).toMatch(
        new RegExp(`0100007F:${port2.toString(16).toUpperCase().padStart(4, '0')} 00000000:0000 0A`),
      );
    await db.stop();
    db = undefined;
    expect(await isPortOpen(port2)).toBe(false);
  });
});
