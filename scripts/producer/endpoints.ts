import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { z } from 'zod';

/** Where the local runtime writes its endpoints (relative to the repository root). */
export const LOCAL_ENDPOINTS_FILE = path.resolve(__dirname, '..', '..', '.local', 'endpoints.json');
/** Route of the ingest API, appended to the base URL. */
export const EVENTS_ROUTE = '/v1/events';

/** The resolved ingest target. */
export interface Target {
  /** Full URL of `POST /v1/events`. */
  readonly url: string;
  readonly apiKey: string;
  /** Where the target came from, for the summary. */
  readonly source: string;
}

/** Reads a CloudFormation stack's outputs as a key → value map; rejects when the stack cannot be read. */
export type DescribeStackOutputs = (stackName: string, region: string | undefined) => Promise<Readonly<Record<string, string>>>;

export interface ResolveTargetInput {
  readonly endpoint?: string;
  readonly apiKey?: string;
  readonly stage?: string;
  readonly region?: string;
  /** Path of the local runtime's endpoints file; default `.local/endpoints.json` in the repository. */
  readonly endpointsFile?: string;
  /** Injected for tests; default reads the stack with `@aws-sdk/client-cloudformation`. */
  readonly describeStackOutputs?: DescribeStackOutputs;
}

/** A target that cannot be resolved; the message says what to do. */
export class TargetError extends Error {
  override readonly name = 'TargetError';
}

const localEndpointsSchema = z.object({
  api: z.url(),
  /** The ingest load balancer's stand-in, when the stage's front door is one: producers post there. */
  ingest: z.url().optional(),
  apiKey: z.string().min(1),
  stage: z.string().optional(),
});
export type LocalEndpoints = z.infer<typeof localEndpointsSchema>;

const HOW_TO = 'start the local runtime with npm start, or pass --endpoint and --api-key';

/** The events URL for an API base URL (a URL already ending in /v1/events is kept as is). */
export function eventsUrl(base: string): string {
  const trimmed = base.replace(/\/+$/, '');
  return trimmed.endsWith(EVENTS_ROUTE) ? trimmed : `${trimmed}${EVENTS_ROUTE}`;
}

/** Name of the API stack of a stage (ingest and read routes). */
export function apiStackName(stage: string): string {
  return `uba-${stage}-api`;
}

/** Reads the local runtime's endpoints file; undefined when absent, TargetError when malformed. */
export async function readLocalEndpoints(file: string): Promise<LocalEndpoints | undefined> {
  let raw: string;
  try {
    raw = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new TargetError(`cannot read ${file}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new TargetError(`${file} is not JSON; restart the local runtime (npm start)`);
  }
  const parsed = localEndpointsSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new TargetError(
      `${file} has no usable ${issue?.path.join('.') || 'content'} (${issue?.message ?? 'invalid'}); restart the local runtime (npm start)`,
    );
  }
  return parsed.data;
}

/** Default stack-output reader: CloudFormation DescribeStacks with the ambient AWS credentials. */
export const describeStackOutputsWithSdk: DescribeStackOutputs = async (stackName, region) => {
  const { CloudFormationClient, DescribeStacksCommand } = await import('@aws-sdk/client-cloudformation');
  const client = new CloudFormationClient(region === undefined ? {} : { region });
  try {
    const out = await client.send(new DescribeStacksCommand({ StackName: stackName }));
    const outputs: Record<string, string> = {};
    for (const o of out.Stacks?.[0]?.Outputs ?? []) {
      if (o.OutputKey !== undefined && o.OutputValue !== undefined) outputs[o.OutputKey] = o.OutputValue;
    }
    return outputs;
  } finally {
    client.destroy();
  }
};

/**
 * Resolves the ingest target: `--endpoint`/`--api-key`; else the local runtime's endpoints file
 * (with `--stage`, only if the file names that stage); else, with `--stage`, the stack outputs of
 * `uba-<stage>-api`. Throws TargetError saying what to do when nothing is found.
 */
export async function resolveTarget(input: ResolveTargetInput): Promise<Target> {
  if (input.endpoint !== undefined) {
    if (input.apiKey === undefined) throw new TargetError('--endpoint needs --api-key (the value of the API key, sent as x-api-key)');
    return { url: eventsUrl(input.endpoint), apiKey: input.apiKey, source: '--endpoint' };
  }

  const file = input.endpointsFile ?? LOCAL_ENDPOINTS_FILE;
  const local = await readLocalEndpoints(file);
  if (local !== undefined && (input.stage === undefined || local.stage === input.stage)) {
    return {
      url: eventsUrl(local.ingest ?? local.api),
      apiKey: input.apiKey ?? local.apiKey,
      source: `local runtime (${path.relative(process.cwd(), file) || file})`,
    };
  }

  if (input.stage === undefined) {
    throw new TargetError(`no endpoint: ${file} not found; ${HOW_TO} (or --stage NAME for a deployed stage)`);
  }

  const stackName = apiStackName(input.stage);
  const describe = input.describeStackOutputs ?? describeStackOutputsWithSdk;
  let outputs: Readonly<Record<string, string>>;
  try {
    outputs = await describe(stackName, input.region);
  } catch (err) {
    throw new TargetError(`cannot read the outputs of stack ${stackName}: ${(err as Error).message}; ${HOW_TO}`);
  }
  // With the load-balancer front door, producers post to its URL (IngestUrl), not the REST API's.
  const apiUrl = outputs.IngestUrl ?? outputs.ApiUrl;
  if (apiUrl === undefined) throw new TargetError(`stack ${stackName} has no ApiUrl output; ${HOW_TO}`);
  if (input.apiKey === undefined) {
    const keyId = outputs.ApiKeyId ?? '<ApiKeyId output of the stack>';
    throw new TargetError(
      outputs.ProducerKeySecrets !== undefined
        ? `--api-key is required for a deployed stage; read a producer's key (secret ARNs in the ProducerKeySecrets output) with:\n` +
            `  aws secretsmanager get-secret-value --secret-id <arn> --query SecretString --output text`
        : `--api-key is required for a deployed stage; read the key's value with:\n` +
            `  aws apigateway get-api-key --api-key ${keyId} --include-value --query value --output text`,
    );
  }
  return { url: eventsUrl(apiUrl), apiKey: input.apiKey, source: `stack ${stackName}` };
}
