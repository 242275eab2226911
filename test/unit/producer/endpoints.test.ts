import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { eventsUrl, resolveTarget, TargetError, type DescribeStackOutputs } from '../../../scripts/producer/endpoints';

describe('resolveTarget', () => {
  let dir: string;
  let file: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'uba-endpoints-'));
    file = path.join(dir, 'endpoints.json');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const noStack: DescribeStackOutputs = () => Promise.reject(new Error('should not be called'));

  it('uses --endpoint and --api-key first', async () => {
    await writeFile(file, JSON.stringify({ api: 'http://127.0.0.1:8787', apiKey: 'local' }));
    const t = await resolveTarget({
      endpoint: 'https://api.example.com/prod/',
      apiKey: 'k',
      endpointsFile: file,
      describeStackOutputs: noStack,
    });
    expect(t).toMatchObject({ url: 'https://api.example.com/prod/v1/events', apiKey: 'k' });
  });

  it('reads the local runtime endpoints file', async () => {
    await writeFile(file, JSON.stringify({ api: 'http://127.0.0.1:8787', apiKey: 'local-key', dashboard: 'http://127.0.0.1:8788' }));
    const t = await resolveTarget({ endpointsFile: file, describeStackOutputs: noStack });
    expect(t).toMatchObject({ url: 'http://127.0.0.1:8787/v1/events', apiKey: 'local-key' });
  });

  it('posts to the local load balancer when the endpoints file names one (ingest front door alb)', async () => {
    await writeFile(
      file,
      JSON.stringify({ api: 'http://127.0.0.1:8787/prod', ingest: 'http://127.0.0.1:8796', apiKey: 'k', stage: 'prod' }),
    );
    const t = await resolveTarget({ endpointsFile: file, describeStackOutputs: noStack });
    expect(t).toMatchObject({ url: 'http://127.0.0.1:8796/v1/events', apiKey: 'k' });
  });

  it('with --stage, posts to IngestUrl when the stack has one, and says where the keys are', async () => {
    const outputs = async () => ({
      ApiUrl: 'https://api.example/prod/',
      IngestUrl: 'https://ingest.example.com',
      ProducerKeySecrets: '{}',
    });
    const t = await resolveTarget({ stage: 'prod', apiKey: 'k', endpointsFile: `${file}.absent`, describeStackOutputs: outputs });
    expect(t.url).toBe('https://ingest.example.com/v1/events');
    await expect(resolveTarget({ stage: 'prod', endpointsFile: `${file}.absent`, describeStackOutputs: outputs })).rejects.toThrow(
      /aws secretsmanager get-secret-value/,
    );
  });

  it('says how to start the local runtime when nothing is found', async () => {
    await expect(resolveTarget({ endpointsFile: file })).rejects.toThrow(
      /start the local runtime with npm start, or pass --endpoint and --api-key/,
    );
  });

  it('rejects a malformed endpoints file clearly', async () => {
    await writeFile(file, JSON.stringify({ api: 'not a url' }));
    await expect(resolveTarget({ endpointsFile: file })).rejects.toThrow(TargetError);
  });

  it('with --stage, reads ApiUrl of uba-<stage>-api and needs --api-key, showing the aws command', async () => {
    const calls: string[] = [];
    const describe: DescribeStackOutputs = (name) => {
      calls.push(name);
      return Promise.resolve({ ApiUrl: 'https://abc.execute-api.eu-west-1.amazonaws.com/prod/', ApiKeyId: 'kid123' });
    };
    await expect(resolveTarget({ stage: 'dev', endpointsFile: file, describeStackOutputs: describe })).rejects.toThrow(
      'aws apigateway get-api-key --api-key kid123 --include-value',
    );
    const t = await resolveTarget({ stage: 'dev', apiKey: 'secret', endpointsFile: file, describeStackOutputs: describe });
    expect(t).toMatchObject({ url: 'https://abc.execute-api.eu-west-1.amazonaws.com/prod/v1/events', apiKey: 'secret' });
    expect(calls).toEqual(['uba-dev-api', 'uba-dev-api']);
  });

  it('with --stage, prefers the local runtime only when it runs that stage', async () => {
    await writeFile(file, JSON.stringify({ api: 'http://127.0.0.1:8787', apiKey: 'local', stage: 'dev' }));
    const describe: DescribeStackOutputs = () => Promise.reject(new Error('Stack with id uba-uat-api does not exist'));
    expect((await resolveTarget({ stage: 'dev', endpointsFile: file, describeStackOutputs: describe })).apiKey).toBe('local');
    await expect(resolveTarget({ stage: 'uat', endpointsFile: file, describeStackOutputs: describe })).rejects.toThrow(
      /cannot read the outputs of stack uba-uat-api: Stack with id uba-uat-api does not exist; start the local runtime/,
    );
  });

  it('builds the events URL from a base URL', () => {
    expect(eventsUrl('http://127.0.0.1:8787')).toBe('http://127.0.0.1:8787/v1/events');
    expect(eventsUrl('http://127.0.0.1:8787/v1/events')).toBe('http://127.0.0.1:8787/v1/events');
  });
});
