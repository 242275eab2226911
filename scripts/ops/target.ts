/**
 * Where `npm run ops` acts: a deployed stage (`--stage`: CloudFormation outputs, the SDK's default
 * credentials and region) or the running local runtime (`.local/endpoints.json`, the cloud assembly
 * `npm start` runs). Both give the same {@link OpsTarget}, so every command is one code path.
 */
import * as fs from 'fs';
import * as path from 'path';
import { CloudWatchClient, GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { LocalEndpoints } from '../../local/runtime';
import { localClientConfig, localS3ClientConfig } from '../../local/services/clients';
import { destinationName } from '../../local/esm';
import { describeStackOutputsWithSdk, type DescribeStackOutputs } from '../producer/endpoints';
import { localFunctionOf } from '../local-functions';
import { LocalDeadLetters, SqsDeadLetters, type DeadLetters } from './dead-letters';
import { readRuntimeStatus } from './runtime-status';

/** The two stream consumers. */
export const CONSUMERS = ['realtime', 'windows'] as const;
export type ConsumerName = (typeof CONSUMERS)[number];

/** A problem the operator can fix; printed without a stack trace. */
export class OpsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OpsError';
  }
}

/** What a synchronous invocation of a consumer answered. */
export type InvokeOutcome = { readonly ok: true; readonly payload: unknown } | { readonly ok: false; readonly error: string };

/** The stage's resources as `npm run ops` needs them. */
export interface OpsResources {
  readonly streamName: string;
  readonly lakeBucket: string;
  readonly resultsTable: string;
  readonly consumers: Readonly<Record<ConsumerName, { readonly functionName: string; readonly deadLetterQueueArn: string }>>;
}

/** A stage to operate, local or deployed. */
export interface OpsTarget {
  readonly stage: string;
  /** `local` or the AWS region. */
  readonly where: string;
  readonly resources: OpsResources;
  readonly kinesis: KinesisClient;
  readonly doc: DynamoDBDocumentClient;
  readonly s3: S3Client;
  /** The on-failure destination of a consumer. */
  deadLetters(consumer: ConsumerName): DeadLetters;
  /** Invokes a consumer synchronously with `event` (as its event-source mapping would). */
  invoke(consumer: ConsumerName, event: unknown): Promise<InvokeOutcome>;
  /** How far each consumer is behind the stream, in ms (undefined: not known). */
  iteratorAges(): Promise<Readonly<Record<ConsumerName, number | undefined>>>;
  /** Releases clients and any local function started. */
  close(): Promise<void>;
}

/** The outputs a command needs, from the data and analytics stacks; throws OpsError naming a missing one. */
function resourcesOf(stage: string, data: Readonly<Record<string, string>>, analytics: Readonly<Record<string, string>>): OpsResources {
  const need = (outputs: Readonly<Record<string, string>>, stack: string, key: string): string => {
    const value = outputs[key];
    if (value === undefined || value === '')
      throw new OpsError(`stack uba-${stage}-${stack} has no ${key} output: deploy (or restart npm start with) this version`);
    return value;
  };
  const consumer = (name: 'Realtime' | 'Windows') => ({
    functionName: need(analytics, 'analytics', `${name}FunctionName`),
    deadLetterQueueArn: need(analytics, 'analytics', `${name}DeadLetterQueueArn`),
  });
  return {
    streamName: need(data, 'data', 'StreamName'),
    lakeBucket: need(data, 'data', 'LakeBucketName'),
    resultsTable: need(analytics, 'analytics', 'ResultsTableName'),
    consumers: { realtime: consumer('Realtime'), windows: consumer('Windows') },
  };
}

/** Where a local `npm start` keeps its files. */
export interface LocalPlaces {
  /** npm start's `--local-dir` (holds endpoints.json). */
  readonly localDir: string;
  /** npm start's `--cdk-out` (the assembly it runs). */
  readonly cdkOut: string;
}

/** The running local runtime as a target; throws OpsError when it is not running. */
export function localTarget(places: LocalPlaces, log: (line: string) => void = () => undefined): OpsTarget {
  const file = path.join(places.localDir, 'endpoints.json');
  if (!fs.existsSync(file))
    throw new OpsError(`${file} not found: start the local runtime (npm start), or pass --stage NAME for a deployed stage`);
  const endpoints = JSON.parse(fs.readFileSync(file, 'utf8')) as LocalEndpoints;
  const stage = endpoints.stage;
  const resources = resourcesOf(stage, endpoints.outputs[`uba-${stage}-data`] ?? {}, endpoints.outputs[`uba-${stage}-analytics`] ?? {});
  const kinesis = new KinesisClient(localClientConfig(endpoints.kinesis));
  const dynamodb = new DynamoDBClient(localClientConfig(endpoints.dynamodb));
  const s3 = new S3Client(localS3ClientConfig(endpoints.s3));
  const functions = new Map<ConsumerName, ReturnType<typeof localFunctionOf>>();
  return {
    stage,
    where: 'local',
    resources,
    kinesis,
    doc: DynamoDBDocumentClient.from(dynamodb, { marshallOptions: { removeUndefinedValues: true } }),
    s3,
    deadLetters: (consumer) =>
      new LocalDeadLetters(
        path.join(endpoints.failureDestinations, `${destinationName(resources.consumers[consumer].deadLetterQueueArn)}.jsonl`),
      ),
    async invoke(consumer, event) {
      let fn = functions.get(consumer);
      if (fn === undefined) {
        fn = localFunctionOf(places.cdkOut, resources.consumers[consumer].functionName, endpoints, log);
        if (fn === undefined)
          throw new OpsError(`${resources.consumers[consumer].functionName} is not in ${places.cdkOut}: restart npm start`);
        functions.set(consumer, fn);
      }
      const result = await fn.invoke(event);
      return result.ok
        ? { ok: true, payload: result.payload }
        : { ok: false, error: `${result.error.errorType}: ${result.error.errorMessage}` };
    },
    async iteratorAges() {
      const status = readRuntimeStatus(places.localDir);
      const ageOf = (consumer: ConsumerName) => {
        const shards = status?.mappings.find((m) => m.functionName === resources.consumers[consumer].functionName)?.shards;
        return shards === undefined || shards.length === 0 ? undefined : Math.max(...shards.map((s) => s.millisBehindLatest));
      };
      return { realtime: ageOf('realtime'), windows: ageOf('windows') };
    },
    async close() {
      await Promise.all([...functions.values()].map((fn) => fn?.stop()));
      kinesis.destroy();
      dynamodb.destroy();
      s3.destroy();
    },
  };
}

/** A deployed stage as a target (outputs of `uba-<stage>-data` and `-analytics`). */
export async function awsTarget(stage: string, describe: DescribeStackOutputs = describeStackOutputsWithSdk): Promise<OpsTarget> {
  let data: Readonly<Record<string, string>>;
  let analytics: Readonly<Record<string, string>>;
  try {
    [data, analytics] = await Promise.all([describe(`uba-${stage}-data`, undefined), describe(`uba-${stage}-analytics`, undefined)]);
  } catch (error) {
    throw new OpsError(`cannot read the stacks of stage ${stage}: ${(error as Error).message} (credentials and region set? deployed?)`);
  }
  const resources = resourcesOf(stage, data, analytics);
  const kinesis = new KinesisClient({ requestHandler: new NodeHttpHandler() });
  const dynamodb = new DynamoDBClient({});
  const s3 = new S3Client({});
  const sqs = new SQSClient({});
  const lambda = new LambdaClient({});
  const cloudwatch = new CloudWatchClient({});
  const region = await kinesis.config.region();
  return {
    stage,
    where: region,
    resources,
    kinesis,
    doc: DynamoDBDocumentClient.from(dynamodb, { marshallOptions: { removeUndefinedValues: true } }),
    s3,
    deadLetters: (consumer) => new SqsDeadLetters(sqs, resources.consumers[consumer].deadLetterQueueArn),
    async invoke(consumer, event) {
      const out = await lambda.send(
        new InvokeCommand({
          FunctionName: resources.consumers[consumer].functionName,
          InvocationType: 'RequestResponse',
          Payload: Buffer.from(JSON.stringify(event)),
        }),
      );
      const text = out.Payload === undefined ? '' : Buffer.from(out.Payload).toString('utf8');
      if (out.FunctionError !== undefined) return { ok: false, error: `${out.FunctionError}: ${text}` };
      return { ok: true, payload: text === '' ? null : (JSON.parse(text) as unknown) };
    },
    async iteratorAges() {
      const now = Date.now();
      const ageOf = async (consumer: ConsumerName): Promise<number | undefined> => {
        const out = await cloudwatch.send(
          new GetMetricStatisticsCommand({
            Namespace: 'AWS/Lambda',
            MetricName: 'IteratorAge',
            Dimensions: [{ Name: 'FunctionName', Value: resources.consumers[consumer].functionName }],
            StartTime: new Date(now - 10 * 60_000),
            EndTime: new Date(now),
            Period: 60,
            Statistics: ['Maximum'],
          }),
        );
        const points = (out.Datapoints ?? []).filter((p) => p.Timestamp !== undefined && p.Maximum !== undefined);
        points.sort((a, b) => (a.Timestamp?.getTime() ?? 0) - (b.Timestamp?.getTime() ?? 0));
        return points.at(-1)?.Maximum;
      };
      const [realtime, windows] = await Promise.all([ageOf('realtime'), ageOf('windows')]);
      return { realtime, windows };
    },
    async close() {
      for (const client of [kinesis, dynamodb, s3, sqs, lambda, cloudwatch]) client.destroy();
    },
  };
}
