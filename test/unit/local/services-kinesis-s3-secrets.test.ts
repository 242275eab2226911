import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand, PutRecordCommand } from '@aws-sdk/client-kinesis';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { StackTemplate, TemplateResolver } from '../../../local/template';
import {
  PortInUseError,
  RunningService,
  assertPortFree,
  generatePassword,
  generateSecretString,
  isPortOpen,
  kinesisStreamsFromTemplate,
  listPagingSupported,
  localClientConfig,
  localS3ClientConfig,
  s3BucketsFromTemplate,
  secretsFromTemplate,
  startKinesis,
  startS3,
  startSecretsManager,
} from '../../../local/services';

const template: StackTemplate = {
  stackName: 'uba-dev-data',
  artifactId: 'uba-dev-data',
  displayName: 'uba-dev-data',
  templatePath: '/tmp/x.json',
  assemblyDir: '/tmp',
  dependencies: [],
  template: {
    Resources: {
      Events: { Type: 'AWS::Kinesis::Stream', Properties: { ShardCount: 2, RetentionPeriodHours: 48 } },
      OnDemand: { Type: 'AWS::Kinesis::Stream', Properties: { StreamModeDetails: { StreamMode: 'ON_DEMAND' } } },
      Raw: { Type: 'AWS::S3::Bucket' },
      HmacKey: {
        Type: 'AWS::SecretsManager::Secret',
        Properties: {
          GenerateSecretString: {
            SecretStringTemplate: '{"user":"ingest"}',
            GenerateStringKey: 'key',
            PasswordLength: 40,
            ExcludePunctuation: true,
          },
        },
      },
      Fixed: { Type: 'AWS::SecretsManager::Secret', Properties: { Name: 'fixed-secret', SecretString: 'sesame' } },
    },
  },
};

const resolver = new TemplateResolver([template]);
const running: RunningService[] = [];
const tmpDirs: string[] = [];

function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'uba-svc-'));
  tmpDirs.push(d);
  return d;
}

async function stopAll(): Promise<void> {
  while (running.length > 0) await running.pop()?.stop();
}

afterAll(async () => {
  await stopAll();
  for (const d of tmpDirs) fs.rmSync(d, { recursive: true, force: true });
});

describe('port check', () => {
  it('fails fast naming the port, who holds it and what to do', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      await expect(assertPortFree(port, 'Kinesis (kinesalite)')).rejects.toThrow(PortInUseError);
      await expect(assertPortFree(port, 'Kinesis (kinesalite)')).rejects.toThrow(
        new RegExp(
          `Kinesis \\(kinesalite\\) needs port ${port} on 127\\.0\\.0\\.1.*It is pid ${process.pid}: .*not a service of this project: not safe to stop from here; choose another port`,
        ),
      );
      await expect(startKinesis({ port })).rejects.toThrow(PortInUseError);
    } finally {
      await new Promise((r) => blocker.close(r));
    }
    await expect(assertPortFree(port, 'x')).resolves.toBeUndefined();
  });
});

describe('Kinesis on kinesalite', () => {
  it('creates the declared streams, serves records, restarts idempotently on persisted data and stops', async () => {
    const streams = kinesisStreamsFromTemplate(resolver);
    expect(streams.map((s) => [s.logicalId, s.shardCount, s.onDemand])).toEqual([
      ['Events', 2, false],
      ['OnDemand', 4, true],
    ]);
    const persistDir = path.join(tmp(), 'kinesis');
    const k1 = await startKinesis({ port: 0, persistDir, streams });
    running.push(k1);
    expect(k1.streams.every((s) => s.created)).toBe(true);
    const name = streams[0].name;
    const shards = await k1.client.send(new ListShardsCommand({ StreamName: name }));
    expect(shards.Shards).toHaveLength(2);
    await k1.client.send(new PutRecordCommand({ StreamName: name, PartitionKey: 'u1', Data: Buffer.from('hello') }));
    await k1.stop();
    running.pop();
    expect(await isPortOpen(k1.port)).toBe(false);

    const k2 = await startKinesis({ port: 0, persistDir, streams });
    running.push(k2);
    expect(k2.streams.every((s) => !s.created)).toBe(true);
    expect(k2.warnings).toEqual([]);
    let found = false;
    for (const shard of (await k2.client.send(new ListShardsCommand({ StreamName: name }))).Shards ?? []) {
      const it = await k2.client.send(
        new GetShardIteratorCommand({ StreamName: name, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' }),
      );
      const got = await k2.client.send(new GetRecordsCommand({ ShardIterator: it.ShardIterator }));
      if ((got.Records ?? []).some((r) => Buffer.from(r.Data ?? []).toString() === 'hello')) found = true;
    }
    expect(found).toBe(true);
    await k2.stop();
    running.pop();
    expect(await isPortOpen(k2.port)).toBe(false);
  });
});

describe('S3 on s3rver', () => {
  it('creates the buckets, stores objects byte-exact and stops', async () => {
    const buckets = s3BucketsFromTemplate(resolver);
    expect(buckets).toHaveLength(1);
    const s3 = await startS3({ port: 0, buckets });
    running.push(s3);
    expect(s3.listPagingSupported).toBe(listPagingSupported());
    const client = new S3Client(localS3ClientConfig(s3.endpoint));
    await client.send(new PutObjectCommand({ Bucket: buckets[0], Key: 'a/b.txt', Body: 'content' }));
    const got = await client.send(new GetObjectCommand({ Bucket: buckets[0], Key: 'a/b.txt' }));
    expect(await got.Body?.transformToString()).toBe('content');
    const listed = await client.send(new ListObjectsV2Command({ Bucket: buckets[0] }));
    expect(listed.Contents?.map((o) => o.Key)).toEqual(['a/b.txt']);
    client.destroy();
    await s3.stop();
    running.pop();
    expect(await isPortOpen(s3.port)).toBe(false);
    expect(fs.existsSync(s3.directory)).toBe(false);
  });

  it('keeps objects in a persisted directory across restarts', async () => {
    const directory = path.join(tmp(), 's3');
    const buckets = s3BucketsFromTemplate(resolver);
    const a = await startS3({ port: 0, directory, buckets });
    running.push(a);
    await a.client.send(new PutObjectCommand({ Bucket: buckets[0], Key: 'k', Body: 'v' }));
    await a.stop();
    running.pop();
    const b = await startS3({ port: 0, directory, buckets });
    running.push(b);
    const got = await b.client.send(new GetObjectCommand({ Bucket: buckets[0], Key: 'k' }));
    expect(await got.Body?.transformToString()).toBe('v');
    await b.stop();
    running.pop();
    expect(fs.existsSync(directory)).toBe(true);
  });
});

describe('Secrets Manager stand-in', () => {
  it('generates passwords per GenerateSecretString', () => {
    const p = generatePassword({ PasswordLength: 50, ExcludeCharacters: 'abcXYZ0', ExcludePunctuation: true });
    expect(p).toHaveLength(50);
    expect(p).toMatch(/^[A-Za-z0-9]+$/);
    expect(p).not.toMatch(/[abcXYZ0]/);
    expect(p).toMatch(/[a-z]/);
    expect(p).toMatch(/[A-Z]/);
    expect(p).toMatch(/[0-9]/);
    expect(generatePassword()).toHaveLength(32);
    expect(generatePassword({ PasswordLength: 8, ExcludeLowercase: true, ExcludeUppercase: true, ExcludePunctuation: true })).toMatch(
      /^[0-9]{8}$/,
    );
    const json = JSON.parse(
      generateSecretString({ SecretStringTemplate: '{"u":"x"}', GenerateStringKey: 'p', PasswordLength: 12 }),
    ) as Record<string, string>;
    expect(json.u).toBe('x');
    expect(json.p).toHaveLength(12);
    expect(() => generatePassword({ PasswordLength: 2 })).toThrow(/too short/);
  });

  it('answers GetSecretValue like AWS, by ARN, name and partial ARN, and keeps generated values when persisted', async () => {
    const specs = secretsFromTemplate(resolver);
    const persistDir = tmp();
    const sm = await startSecretsManager({ port: 0, secrets: specs, persistDir });
    running.push(sm);
    const client = new SecretsManagerClient(localClientConfig(sm.endpoint));
    const hmac = specs.find((s) => s.logicalId === 'HmacKey');
    if (!hmac) throw new Error('no HmacKey');
    const got = await client.send(new GetSecretValueCommand({ SecretId: hmac.arn }));
    expect(got.ARN).toBe(hmac.arn);
    expect(got.Name).toBe(hmac.name);
    expect(got.VersionStages).toEqual(['AWSCURRENT']);
    expect(got.CreatedDate).toBeInstanceOf(Date);
    const value = JSON.parse(got.SecretString ?? '{}') as Record<string, string>;
    expect(value.user).toBe('ingest');
    expect(value.key).toMatch(/^[A-Za-z0-9]{40}$/);
    expect((await client.send(new GetSecretValueCommand({ SecretId: hmac.name }))).SecretString).toBe(got.SecretString);
    expect((await client.send(new GetSecretValueCommand({ SecretId: hmac.arn.slice(0, -7) }))).SecretString).toBe(got.SecretString);
    expect((await client.send(new GetSecretValueCommand({ SecretId: 'fixed-secret' }))).SecretString).toBe('sesame');
    await expect(client.send(new GetSecretValueCommand({ SecretId: 'nope' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
      message: "Secrets Manager can't find the specified secret.",
      $metadata: { httpStatusCode: 400 },
    });
    client.destroy();
    await sm.stop();
    running.pop();
    expect(await isPortOpen(sm.port)).toBe(false);

    const again = await startSecretsManager({ port: 0, secrets: specs, persistDir });
    running.push(again);
    const client2 = new SecretsManagerClient(localClientConfig(again.endpoint));
    const got2 = await client2.send(new GetSecretValueCommand({ SecretId: hmac.arn }));
    expect(got2.SecretString).toBe(got.SecretString);
    expect(got2.VersionId).toBe(got.VersionId);
    client2.destroy();
    await again.stop();
    running.pop();

    const fresh = await startSecretsManager({ port: 0, secrets: specs });
    running.push(fresh);
    const client3 = new SecretsManagerClient(localClientConfig(fresh.endpoint));
    expect((await client3.send(new GetSecretValueCommand({ SecretId: hmac.arn }))).SecretString).not.toBe(got.SecretString);
    client3.destroy();
    await fresh.stop();
    running.pop();
  });
});
