import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { ALBEvent } from 'aws-lambda';
import { IngestLoadBalancer } from '../../../lib/constructs/ingest-load-balancer';
import type { IntegrationOutcome } from '../../../local/apigateway/server';
import { compileWebAcl, evaluateWebAcl, type WebAclModel } from '../../../local/apigateway/firewall';
import {
  actionFor,
  loadBalancersFromTemplate,
  pathPatternRegExp,
  startLoadBalancer,
  toAlbEvent,
  type LoadBalancerModel,
  type LocalLoadBalancer,
} from '../../../local/loadbalancer';
import { lambdaFunctions, TemplateResolver, type StackTemplate } from '../../../local/template';
import type { CfnTemplate } from '../../../local/template/types';
import { asStackTemplate } from '../../support/stack-template';
import { testApp } from '../../infrastructure/stage-app';

const MAX_BODY = 1_000_000;
const RATE = 10;
const KEYLESS_RATE = 12;

/** A stack with the ingest load balancer in front of an inline function, as `cdk synth` writes it. */
function loadBalancerTemplate(): CfnTemplate {
  const stack = new Stack(testApp(), 'uba-test-api', { env: { account: '000000000000', region: 'us-east-1' } });
  const handler = new lambda.Function(stack, 'Handler', {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => ({ statusCode: 200 });'),
  });
  new IngestLoadBalancer(stack, 'Ingest', {
    handler,
    certificateArnParameter: '/test/certificate-arn',
    domainNameParameter: '/test/domain-name',
    requestsPerMinutePerProducer: RATE,
    keylessRequestsPerMinutePerIp: KEYLESS_RATE,
    maxBodyBytes: MAX_BODY,
    metricPrefix: 'test-',
  });
  return Template.fromStack(stack).toJSON() as CfnTemplate;
}

const asStack = (template: CfnTemplate): StackTemplate => asStackTemplate(template);

describe('local load balancer', () => {
  let model: LoadBalancerModel;
  let functionArn: string;
  let server: LocalLoadBalancer;
  const events: ALBEvent[] = [];
  let answer: IntegrationOutcome = {
    ok: true,
    payload: { statusCode: 200, body: '{"accepted":1}', headers: { 'Content-Type': 'application/json' } },
  };

  beforeAll(async () => {
    const resolver = new TemplateResolver([asStack(loadBalancerTemplate())]);
    const [fn] = lambdaFunctions(resolver);
    functionArn = fn.functionArn;
    [model] = loadBalancersFromTemplate(resolver, new Set([functionArn]));
    server = await startLoadBalancer(
      {
        model,
        functionName: (arn) => (arn === functionArn ? 'ingest' : undefined),
        invoke: async (_name, event) => {
          events.push(event);
          return answer;
        },
      },
      0,
    );
  }, 60_000);
  afterAll(() => server?.stop());
  beforeEach(() => {
    events.length = 0;
    answer = { ok: true, payload: { statusCode: 200, body: '{"accepted":1}', headers: { 'Content-Type': 'application/json' } } };
  });

  const post = (path: string, body: string | Buffer, headers: Record<string, string> = {}) =>
    fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { 'x-api-key': 'key-a', 'content-type': 'application/json', ...headers },
      body,
    });

  it('reads the HTTPS listener, its producer-route rule, the 404 default and the web ACL from the template', () => {
    expect(model.listener).toMatchObject({ port: 443, protocol: 'HTTPS' });
    expect(model.rules).toHaveLength(1);
    expect(actionFor(model, 'POST', '/v1/events')).toMatchObject({ kind: 'forward', functionArn, multiValueHeaders: false });
    expect(actionFor(model, 'POST', '/v1/paths')).toMatchObject({ kind: 'forward' });
    expect(actionFor(model, 'POST', '/v1/metrics')).toMatchObject({ kind: 'fixed', statusCode: 404, contentType: 'application/json' });
    expect(model.firewall?.rules.map((r) => r.name)).toEqual(['BodyOverLimit', 'PostWithoutLength', 'ProducerKeyRate', 'KeylessIpRate']);
  });

  it('invokes the target with the ALB event as AWS documents it and answers with its result', async () => {
    const res = await post('/v1/events?a=1%202', '{"events":[]}', { 'X-Custom': 'One' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.text()).toBe('{"accepted":1}');
    const [event] = events;
    expect(event).toMatchObject({
      requestContext: { elb: { targetGroupArn: expect.any(String) } },
      httpMethod: 'POST',
      path: '/v1/events',
      queryStringParameters: { a: '1%202' },
      body: '{"events":[]}',
      isBase64Encoded: false,
    });
    expect(event.headers).toMatchObject({
      'x-api-key': 'key-a',
      'x-custom': 'One',
      'x-forwarded-proto': 'https',
      'x-forwarded-port': '443',
      'x-forwarded-for': '127.0.0.1',
      'x-amzn-trace-id': expect.stringMatching(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/),
    });
    expect(Object.keys(event.headers ?? {}).every((name) => name === name.toLowerCase())).toBe(true);
    expect(event.multiValueHeaders).toBeUndefined();
  });

  it('base64-encodes a body that is not text, and decodes a base64 answer', async () => {
    answer = { ok: true, payload: { statusCode: 201, body: Buffer.from('binary').toString('base64'), isBase64Encoded: true } };
    const res = await post('/v1/events', Buffer.from([0, 1, 2, 255]), { 'content-type': 'application/octet-stream' });
    expect(res.status).toBe(201);
    expect(await res.text()).toBe('binary');
    expect(events[0]).toMatchObject({ body: Buffer.from([0, 1, 2, 255]).toString('base64'), isBase64Encoded: true });
  });

  it('answers 502 when the function fails or returns no status code', async () => {
    answer = { ok: false, timedOut: false, message: 'Error: boom' };
    expect((await post('/v1/events', '{}')).status).toBe(502);
    answer = { ok: true, payload: { body: 'no status' } };
    const res = await post('/v1/events', '{}');
    expect(res.status).toBe(502);
    expect(await res.text()).toContain('502 Bad Gateway');
  });

  it('answers other paths with the listener default (404, the API error shape), without invoking', async () => {
    const res = await post('/v1/metrics', '{}');
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ field: '', reason: expect.stringContaining('/v1/events') });
    expect(events).toHaveLength(0);
  });

  it('refuses a body over the limit with the web ACL (413 JSON) before any invoke', async () => {
    const res = await post('/v1/events', 'x'.repeat(MAX_BODY + 1));
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ field: 'body' });
    expect(events).toHaveLength(0);
  });

  it('limits each producer key to its requests per minute (429), counting keys apart and not requests without one', async () => {
    for (let i = 0; i < RATE; i++) expect((await post('/v1/events', '{}', { 'x-api-key': 'key-rate' })).status).toBe(200);
    const refused = await post('/v1/events', '{}', { 'x-api-key': 'key-rate' });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('60');
    expect(await refused.json()).toMatchObject({ field: 'x-api-key' });
    expect((await post('/v1/events', '{}', { 'x-api-key': 'key-other' })).status).toBe(200);
    const noKey = await fetch(`${server.url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(noKey.status).toBe(200); // passed on: the function answers 401
  });

  it('answers 429 naming x-api-key, with retry-after, to an address over its keyless requests, and still serves keyed ones', async () => {
    const keyless = () => fetch(`${server.url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    let refused: Response | undefined;
    for (let i = 0; i <= KEYLESS_RATE && refused === undefined; i++) {
      const res = await keyless();
      if (res.status === 429) refused = res;
      else expect(res.status).toBe(200);
    }
    expect(refused?.status).toBe(429);
    expect(refused?.headers.get('retry-after')).toBe('60');
    expect(await refused?.json()).toMatchObject({
      field: 'x-api-key',
      reason: expect.stringContaining(`more than ${KEYLESS_RATE} requests without it`),
    });
    expect((await post('/v1/events', '{}', { 'x-api-key': 'key-third' })).status).toBe(200);
  });
});

describe("the load balancer web ACL's keyless rule, as the stand-in evaluates it", () => {
  /** The template's web ACL, compiled afresh with a clock the test moves. */
  const freshAcl = (clock: { t: number }): WebAclModel => {
    const template = loadBalancerTemplate();
    const [logicalId, resource] = Object.entries(template.Resources ?? {}).find(([, r]) => r.Type === 'AWS::WAFv2::WebACL') ?? [];
    if (logicalId === undefined || resource?.Properties === undefined) throw new Error('no web ACL in the template');
    return compileWebAcl(logicalId, resource.Properties, () => clock.t);
  };
  const request = (sourceIp: string, key?: string) => ({
    method: 'POST',
    path: '/v1/events',
    rawHeaders: ['content-length', '2', ...(key === undefined ? [] : ['x-api-key', key])],
    sourceIp,
  });

  it('lets exactly its limit of keyless requests through per address in a minute, counting an empty key as none and keyed requests not at all', () => {
    const clock = { t: 1_000_000 };
    const acl = freshAcl(clock);
    const verdicts: string[] = [];
    for (let i = 0; i < KEYLESS_RATE; i++) {
      verdicts.push(evaluateWebAcl(acl, request('198.51.100.1', i % 2 === 0 ? undefined : '')).kind);
      verdicts.push(evaluateWebAcl(acl, request('198.51.100.1', `key-${i}`)).kind);
    }
    expect(verdicts.every((v) => v === 'allow')).toBe(true);
    expect(evaluateWebAcl(acl, request('198.51.100.1'))).toMatchObject({ kind: 'block', statusCode: 429 });
    expect(evaluateWebAcl(acl, request('198.51.100.1', ''))).toMatchObject({ kind: 'block', statusCode: 429 });
    // Another address has its own count; keyed requests from the refused address pass.
    expect(evaluateWebAcl(acl, request('198.51.100.2')).kind).toBe('allow');
    expect(evaluateWebAcl(acl, request('198.51.100.1', 'key-y')).kind).toBe('allow');
    // A minute after those requests, the address is let through again.
    clock.t += 60_001;
    expect(evaluateWebAcl(acl, request('198.51.100.1')).kind).toBe('allow');
  });
});

describe('ALB helpers', () => {
  it('matches path patterns as ALB does (* any characters, ? one, the rest literally)', () => {
    expect(pathPatternRegExp('/v1/events').test('/v1/events')).toBe(true);
    expect(pathPatternRegExp('/v1/events').test('/v1/events/')).toBe(false);
    expect(pathPatternRegExp('/v1/*').test('/v1/a/b')).toBe(true);
    expect(pathPatternRegExp('/v?/x.y').test('/v1/x.y')).toBe(true);
    expect(pathPatternRegExp('/v?/x.y').test('/v1/xzy')).toBe(false);
  });

  it('keeps the last value of a repeated header and appends the client to x-forwarded-for', () => {
    const event = toAlbEvent(
      {
        method: 'POST',
        url: '/p',
        rawHeaders: ['X-A', '1', 'x-a', '2', 'X-Forwarded-For', '10.0.0.1'],
        body: Buffer.alloc(0),
        sourceIp: '127.0.0.1',
        port: 443,
      },
      'arn:tg',
    );
    expect(event.headers).toMatchObject({ 'x-a': '2', 'x-forwarded-for': '10.0.0.1, 127.0.0.1' });
    expect(event).toMatchObject({ body: '', isBase64Encoded: false, queryStringParameters: {} });
  });
});
