import * as http from 'http';
import { Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import { Template } from 'aws-cdk-lib/assertions';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { BodySizeFirewall, integerAbove } from '../../../lib/constructs/body-size-firewall';
import { compileWebAcl, evaluateWebAcl, webAclForStage, type WebAclModel } from '../../../local/apigateway/firewall';
import { restApiModels } from '../../../local/apigateway/model';
import { LAMBDA_SYNC_PAYLOAD_BYTES, MAX_PAYLOAD_BYTES } from '../../../local/apigateway/proxy';
import { startRestApi, type LocalRestApiOptions } from '../../../local/apigateway/server';
import { TemplateResolver, type StackTemplate } from '../../../local/template';
import type { CfnTemplate, JsonObject } from '../../../local/template/types';
import { asStackTemplate } from '../../support/stack-template';
import { testApp } from '../../infrastructure/stage-app';

const LIMIT = 1_048_576;
const MiB = 1024 * 1024;

/** A stack with a REST API stage guarded by the construct, as `cdk synth` writes it. */
function guardedApiTemplate(): CfnTemplate {
  const stack = new Stack(testApp(), 'uba-test-api', { env: { account: '000000000000', region: 'ap-east-1' } });
  const api = new apigw.RestApi(stack, 'Api', { deployOptions: { stageName: 'dev' } });
  api.root.addResource('v1').addResource('events').addMethod('POST', new apigw.MockIntegration());
  new BodySizeFirewall(stack, 'Firewall', { resourceArn: api.deploymentStage.stageArn, maxBodyBytes: LIMIT, metricPrefix: 'test-' });
  return Template.fromStack(stack).toJSON() as CfnTemplate;
}

const asStack = (template: CfnTemplate): StackTemplate => asStackTemplate(template);

/** The web ACL of the template, compiled by the stand-in. */
function compiledAcl(template: CfnTemplate): WebAclModel {
  const [logicalId, resource] = Object.entries(template.Resources ?? {}).find(([, r]) => r.Type === 'AWS::WAFv2::WebACL') ?? [];
  if (logicalId === undefined || resource?.Properties === undefined) throw new Error('no web ACL in the template');
  return compileWebAcl(logicalId, resource.Properties);
}

const request = (method: string, contentLength?: string) => ({
  method,
  path: '/dev/v1/events',
  rawHeaders: ['Host', '127.0.0.1', ...(contentLength !== undefined ? ['Content-Length', contentLength] : [])],
  sourceIp: '127.0.0.1',
});

describe('integerAbove (the Content-Length rule)', () => {
  it.each([0, 1, 9, 10, 99, 100, 1_048_576, 6_291_456, 999_999, 1_000_000])('matches exactly the decimal numbers above %d', (limit) => {
    // prepare: numbers around the limit, at digit-count boundaries, and random ones
    const pattern = new RegExp(integerAbove(limit));
    let seed = limit + 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed;
    };
    const numbers = [
      0,
      1,
      limit - 1,
      limit,
      limit + 1,
      limit + 10,
      limit * 10,
      limit * 10 + 9,
      10 ** String(limit).length,
      10 ** String(limit).length - 1,
    ];
    for (let i = 0; i < 300; i += 1) numbers.push(random() % (limit * 3 + 20));

    // act + assess
    for (const n of numbers.filter((x) => x >= 0)) {
      expect([n, pattern.test(String(n))]).toEqual([n, n > limit]);
      expect([n, pattern.test(`00${n}`)]).toEqual([n, n > limit]);
    }
    expect(pattern.test('')).toBe(false);
    expect(pattern.test(`${limit + 1} `)).toBe(false);
    expect(pattern.test('-5')).toBe(false);
  });

  it('uses no capturing group (AWS WAF refuses them)', () => {
    expect(integerAbove(LIMIT)).not.toMatch(/\((?!\?:)/);
  });
});

describe('the stand-in of the body-size web ACL', () => {
  const acl = compiledAcl(guardedApiTemplate());

  it('blocks a Content-Length over the limit with 413 and the JSON error naming body and the limit', () => {
    // act
    const verdicts = [String(LIMIT + 1), String(7 * MiB), String(10 * MiB), `000${LIMIT + 1}`].map((length) =>
      evaluateWebAcl(acl, request('POST', length)),
    );

    // assess
    for (const verdict of verdicts) {
      expect(verdict).toMatchObject({ kind: 'block', statusCode: 413, contentType: 'application/json' });
      expect(verdict.kind === 'block' ? JSON.parse(verdict.body) : undefined).toEqual({
        error: `body: must be at most ${LIMIT} bytes`,
        field: 'body',
        reason: `must be at most ${LIMIT} bytes`,
      });
    }
  });

  it('lets a body of exactly the limit through, and a GET without a body', () => {
    expect(evaluateWebAcl(acl, request('POST', String(LIMIT)))).toEqual({ kind: 'allow' });
    expect(evaluateWebAcl(acl, request('POST', '0'))).toEqual({ kind: 'allow' });
    expect(evaluateWebAcl(acl, request('GET'))).toEqual({ kind: 'allow' });
  });

  it('blocks a POST without a decimal Content-Length with 411 naming content-length', () => {
    // act
    const verdicts = [undefined, '', 'abc', '12 '].map((length) => evaluateWebAcl(acl, request('POST', length)));

    // assess
    expect(verdicts.map((v) => (v.kind === 'block' ? [v.statusCode, (JSON.parse(v.body) as { field: string }).field] : v.kind))).toEqual([
      [411, 'content-length'],
      [411, 'content-length'],
      [411, 'content-length'],
      [411, 'content-length'],
    ]);
  });

  it('refuses to stand in for a web ACL with statements it does not evaluate', () => {
    // prepare
    const properties = {
      DefaultAction: { Allow: {} },
      Rules: [
        {
          Name: 'Geo',
          Priority: 0,
          Action: { Block: {} },
          Statement: { GeoMatchStatement: { CountryCodes: ['XX'] } },
          VisibilityConfig: {},
        },
      ],
    };

    // act + assess
    expect(() => compileWebAcl('Acl', properties)).toThrow(/GeoMatchStatement is not evaluated/);
  });

  it('refuses rate-based statements it cannot count as AWS WAF does: nested in another statement, or aggregated otherwise than per IP or per header', () => {
    // prepare
    const rate = (extra: JsonObject): JsonObject => ({ RateBasedStatement: { Limit: 10, EvaluationWindowSec: 60, ...extra } });
    const acl = (statement: JsonObject): JsonObject => ({
      DefaultAction: { Allow: {} },
      Rules: [{ Name: 'R', Priority: 0, Action: { Block: {} }, Statement: statement, VisibilityConfig: {} }],
    });

    // act + assess
    expect(() => compileWebAcl('Acl', acl({ NotStatement: { Statement: rate({ AggregateKeyType: 'IP' }) } }))).toThrow(
      /RateBasedStatement inside another statement/,
    );
    expect(() => compileWebAcl('Acl', acl(rate({ AggregateKeyType: 'IP', ScopeDownStatement: rate({ AggregateKeyType: 'IP' }) })))).toThrow(
      /RateBasedStatement inside another statement/,
    );
    expect(() => compileWebAcl('Acl', acl(rate({ AggregateKeyType: 'CONSTANT' })))).toThrow(/AggregateKeyType CONSTANT is not evaluated/);
    expect(() => compileWebAcl('Acl', acl(rate({ AggregateKeyType: 'IP' })))).not.toThrow();
  });

  it('compares the byte size of a header after its transformations in a size constraint; a missing header matches no operator', () => {
    // prepare
    const acl = (operator: string, size: number) =>
      compileWebAcl('Acl', {
        DefaultAction: { Allow: {} },
        Rules: [
          {
            Name: 'Size',
            Priority: 0,
            Action: { Block: {} },
            Statement: {
              SizeConstraintStatement: {
                FieldToMatch: { SingleHeader: { Name: 'X-Thing' } },
                ComparisonOperator: operator,
                Size: size,
                TextTransformations: [{ Priority: 0, Type: 'URL_DECODE' }],
              },
            },
            VisibilityConfig: {},
          },
        ],
      });
    const withThing = (value?: string) => ({
      method: 'POST',
      path: '/',
      rawHeaders: value === undefined ? [] : ['x-thing', value],
      sourceIp: '127.0.0.1',
    });
    const blocked = (operator: string, size: number, value?: string) =>
      evaluateWebAcl(acl(operator, size), withThing(value)).kind === 'block';

    // act + assess: "%C3%A9" decodes to é, 2 bytes
    expect(['EQ', 'NE', 'LE', 'LT', 'GE', 'GT'].map((op) => blocked(op, 2, '%C3%A9'))).toEqual([true, false, true, false, true, false]);
    expect(['EQ', 'NE', 'LE', 'LT', 'GE', 'GT'].map((op) => blocked(op, 0))).toEqual([false, false, false, false, false, false]);
    expect(blocked('GT', 0, '')).toBe(false);
    expect(() => acl('ABOUT', 1)).toThrow(/ComparisonOperator ABOUT is not evaluated/);
  });

  it('is found through its association with the stage in the template', () => {
    // prepare
    const resolver = new TemplateResolver([asStack(guardedApiTemplate())], { region: 'ap-east-1', accountId: '000000000000' });
    const [model] = restApiModels(resolver);

    // act
    const found = model === undefined ? undefined : webAclForStage(resolver, model.restApiId, model.stageName);

    // assess
    expect(model?.firewall).toBeDefined();
    expect(found?.rules.map((r) => r.name)).toEqual(['BodyOverLimit', 'PostWithoutLength']);
  });
});

/** POSTs `size` bytes to `url` with `headers`; chunked (no Content-Length) when `chunked`. */
function post(url: string, size: number, headers: Record<string, string>, chunked = false): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const body = Buffer.alloc(size, 0x20);
    const req = http.request(
      url,
      { method: 'POST', headers: { ...headers, ...(chunked ? {} : { 'content-length': String(size) }) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    if (chunked) {
      req.write(body.subarray(0, Math.floor(size / 2)));
      req.end(body.subarray(Math.floor(size / 2)));
    } else req.end(body);
  });
}

describe('the local REST API with and without the web ACL', () => {
  const invoked: APIGatewayProxyEvent[] = [];
  const base = (firewall?: WebAclModel): LocalRestApiOptions => ({
    restApiId: 'api1',
    stageName: 'dev',
    accountId: '000000000000',
    routes: [{ resourcePath: '/v1/events', httpMethod: 'POST', apiKeyRequired: true, functionName: 'ingest' }],
    apiKeys: [{ id: 'key1', value: 'secret-key' }],
    ...(firewall !== undefined ? { firewall } : {}),
    invoke: async (_name, event) => {
      invoked.push(event);
      return { ok: true, payload: { statusCode: 200, body: '{}' } };
    },
  });
  const key = { 'x-api-key': 'secret-key' };
  beforeEach(() => {
    invoked.length = 0;
  });

  it('answers 413 with the JSON error to bodies of 6 to 10 MiB (and 4.5 MiB binary) without invoking Lambda', async () => {
    // prepare
    const api = await startRestApi(base(compiledAcl(guardedApiTemplate())), 0);
    try {
      // act
      const answers = await Promise.all([
        post(`${api.url}/v1/events`, 6 * MiB + 1, { ...key, 'content-type': 'application/json' }),
        post(`${api.url}/v1/events`, 9.5 * MiB, { ...key, 'content-type': 'application/json' }),
        post(`${api.url}/v1/events`, 4.5 * MiB, { ...key, 'content-type': 'application/octet-stream' }),
        post(`${api.url}/v1/events`, 2 * MiB, { ...key, 'content-type': 'application/json' }, true),
      ]);

      // assess
      expect(answers.map((a) => a.status)).toEqual([413, 413, 413, 411]);
      expect(JSON.parse(answers[0]?.body ?? '{}')).toEqual({
        error: `body: must be at most ${LIMIT} bytes`,
        field: 'body',
        reason: `must be at most ${LIMIT} bytes`,
      });
      expect(JSON.parse(answers[3]?.body ?? '{}')).toMatchObject({ field: 'content-length' });
      expect(invoked).toHaveLength(0);
    } finally {
      await api.stop();
    }
  });

  it('answers over 10 MB at the front door, before the web ACL', async () => {
    // prepare
    const api = await startRestApi(base(compiledAcl(guardedApiTemplate())), 0);
    try {
      // act
      const answer = await post(`${api.url}/v1/events`, MAX_PAYLOAD_BYTES + 1, { ...key, 'content-type': 'application/json' });

      // assess
      expect([answer.status, JSON.parse(answer.body)]).toEqual([413, { message: 'Request Too Long' }]);
      expect(invoked).toHaveLength(0);
    } finally {
      await api.stop();
    }
  });

  it('without a web ACL answers 500, as API Gateway does when Lambda refuses an invoke over 6 MiB', async () => {
    // prepare
    const api = await startRestApi(base(), 0);
    try {
      // act
      const over = await post(`${api.url}/v1/events`, LAMBDA_SYNC_PAYLOAD_BYTES, { ...key, 'content-type': 'application/json' });
      const under = await post(`${api.url}/v1/events`, 5 * MiB, { ...key, 'content-type': 'application/json' });

      // assess
      expect([over.status, JSON.parse(over.body)]).toEqual([500, { message: 'Internal server error' }]);
      expect(under.status).toBe(200);
      expect(invoked).toHaveLength(1);
    } finally {
      await api.stop();
    }
  });
});
