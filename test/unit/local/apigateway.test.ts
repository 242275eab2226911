import * as http from 'http';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { isPortOpen } from '../../../local/services';
import {
  ApiRoute,
  fromProxyResult,
  isBinaryMediaType,
  matchRoute,
  MAX_PAYLOAD_BYTES,
  TokenBucket,
  toProxyEvent,
} from '../../../local/apigateway/proxy';
import { DRAIN_RETRY_AFTER_S, IntegrationOutcome, LocalRestApiOptions, startRestApi } from '../../../local/apigateway/server';

const route = (resourcePath: string, httpMethod = 'POST', apiKeyRequired = true): ApiRoute => ({
  resourcePath,
  httpMethod,
  apiKeyRequired,
  functionName: `fn${resourcePath}`,
});

describe('matchRoute', () => {
  const routes = [
    route('/v1/events'),
    route('/v1/paths'),
    route('/v1/items/{id}', 'GET'),
    route('/v1/items/latest', 'GET'),
    route('/files/{proxy+}', 'ANY'),
  ];

  it('matches literal resources and methods', () => {
    expect(matchRoute(routes, 'POST', '/v1/events')?.route.resourcePath).toBe('/v1/events');
    expect(matchRoute(routes, 'GET', '/v1/events')).toBeUndefined();
    expect(matchRoute(routes, 'POST', '/v1/events/extra')).toBeUndefined();
    expect(matchRoute(routes, 'POST', '/v1')).toBeUndefined();
  });

  it('prefers a literal segment over a parameter and decodes parameters', () => {
    expect(matchRoute(routes, 'GET', '/v1/items/latest')?.route.resourcePath).toBe('/v1/items/latest');
    expect(matchRoute(routes, 'GET', '/v1/items/a%20b')).toEqual({ route: routes[2], pathParameters: { id: 'a b' } });
  });

  it('lets a greedy parameter take the rest of the path, for any method', () => {
    expect(matchRoute(routes, 'DELETE', '/files/a/b/c')?.pathParameters).toEqual({ proxy: 'a/b/c' });
    expect(matchRoute(routes, 'GET', '/files')).toBeUndefined();
  });
});

describe('fromProxyResult', () => {
  it('maps status, headers and body, decoding base64 bodies', () => {
    const r = fromProxyResult({
      statusCode: 207,
      headers: { 'Content-Type': 'application/json' },
      body: Buffer.from('{"a":1}').toString('base64'),
      isBase64Encoded: true,
    });
    expect(r.statusCode).toBe(207);
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.body.toString()).toBe('{"a":1}');
  });

  it.each([[undefined], [null], ['text'], [{ body: 'x' }], [{ statusCode: '200' }], [{ statusCode: 200, body: {} }]])(
    'answers 502 for a malformed result %j',
    (result) => {
      expect(fromProxyResult(result).statusCode).toBe(502);
    },
  );
});

describe('binary media types', () => {
  const aRequest = (contentType: string, binaryMediaTypes?: string[]) =>
    toProxyEvent(
      {
        method: 'POST',
        path: '/v1/events',
        stageName: 'dev',
        restApiId: 'api1',
        accountId: '000000000000',
        rawHeaders: ['Content-Type', contentType],
        query: new URLSearchParams(),
        body: Buffer.from([0x7b, 0x7d, 0xff]),
        sourceIp: '127.0.0.1',
        now: new Date(0),
        ...(binaryMediaTypes !== undefined ? { binaryMediaTypes } : {}),
      },
      { route: route('/v1/events'), pathParameters: null },
    );

  it('passes every body as UTF-8 text when the API declares no binary media types, whatever its type', () => {
    for (const type of ['application/octet-stream', 'image/png', 'application/json']) {
      expect(aRequest(type)).toMatchObject({ isBase64Encoded: false, body: '{}\ufffd' });
    }
  });

  it('passes base64 only the types the API declares, wildcards included, parameters ignored', () => {
    expect(aRequest('image/png', ['image/*'])).toMatchObject({
      isBase64Encoded: true,
      body: Buffer.from([0x7b, 0x7d, 0xff]).toString('base64'),
    });
    expect(aRequest('application/json', ['image/*']).isBase64Encoded).toBe(false);
    expect([
      isBinaryMediaType('Application/Octet-Stream; x=1', ['application/octet-stream']),
      isBinaryMediaType('text/plain', ['*/*']),
      isBinaryMediaType('', ['*/*']),
    ]).toEqual([true, true, false]);
  });
});

describe('TokenBucket', () => {
  it('allows the burst, then the rate', () => {
    let now = 0;
    const bucket = new TokenBucket(10, 3, () => now);
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, true, false]);
    now += 100; // 0.1 s at 10/s = one token
    expect([bucket.take(), bucket.take()]).toEqual([true, false]);
  });
});

describe('local REST API', () => {
  const seen: APIGatewayProxyEvent[] = [];
  let outcome: IntegrationOutcome = { ok: true, payload: { statusCode: 200, body: '{"ok":true}' } };
  const options: LocalRestApiOptions = {
    restApiId: 'api1',
    stageName: 'dev',
    accountId: '000000000000',
    routes: [
      route('/v1/events'),
      route('/v1/public', 'GET', false),
      { ...route('/v1/private', 'GET', false), authorizer: { id: 'auth1', providerArns: ['arn:pool'], header: 'authorization' } },
    ],
    apiKeys: [{ id: 'key1', value: 'secret-key', throttle: { rateLimit: 1, burstLimit: 2 } }],
    // A stand-in for the pool's check: 'good' is valid, 'old' expired, anything else invalid.
    checkToken: async (_authorizer, token) =>
      token === 'good'
        ? { ok: true, claims: { sub: 'u1', 'cognito:groups': 'analyst,admin', token_use: 'id' } }
        : { ok: false, reason: token === 'old' ? 'expired' : 'invalid' },
    invoke: async (_name, event) => {
      seen.push(event);
      return outcome;
    },
  };
  let base: string;
  let stop: () => Promise<void>;

  beforeAll(async () => {
    const api = await startRestApi(options, 0);
    base = api.url;
    stop = api.stop;
  });
  afterAll(async () => stop());
  beforeEach(() => {
    seen.length = 0;
    outcome = { ok: true, payload: { statusCode: 200, body: '{"ok":true}' } };
  });

  it('needs the API key where the method requires one, and knows only declared routes', async () => {
    expect((await fetch(`${base}/v1/events`, { method: 'POST', body: '{}' })).status).toBe(403);
    expect((await fetch(`${base}/v1/events`, { method: 'POST', body: '{}', headers: { 'x-api-key': 'wrong' } })).status).toBe(403);
    const unknown = await fetch(`${base}/v1/nothing`, { headers: { 'x-api-key': 'secret-key' } });
    expect(unknown.status).toBe(403);
    expect(await unknown.json()).toEqual({ message: 'Missing Authentication Token' });
    expect(seen).toHaveLength(0);
  });

  it('runs the Cognito authorizer: 401 without a token or with a refused one, the claims in the event otherwise', async () => {
    const get = async (headers: Record<string, string>) => {
      const res = await fetch(`${base}/v1/private`, { headers });
      return { status: res.status, body: (await res.json()) as unknown };
    };
    expect(await get({})).toEqual({ status: 401, body: { message: 'Unauthorized' } });
    expect(await get({ 'x-api-key': 'secret-key' })).toEqual({ status: 401, body: { message: 'Unauthorized' } });
    expect(await get({ authorization: 'forged' })).toEqual({ status: 401, body: { message: 'Unauthorized' } });
    expect(await get({ authorization: 'old' })).toEqual({ status: 401, body: { message: 'The incoming token has expired' } });
    expect(seen).toHaveLength(0);
    expect((await get({ authorization: 'Bearer good' })).status).toBe(200);
    expect((await get({ Authorization: 'good' })).status).toBe(200);
    expect(seen.map((e) => e.requestContext.authorizer)).toEqual([
      { claims: { sub: 'u1', 'cognito:groups': 'analyst,admin', token_use: 'id' } },
      { claims: { sub: 'u1', 'cognito:groups': 'analyst,admin', token_use: 'id' } },
    ]);
  });

  it('passes a proxy event with path, query, headers and body, and returns what the function answers', async () => {
    outcome = { ok: true, payload: { statusCode: 201, headers: { 'x-test': 'yes' }, body: 'made' } };
    const res = await fetch(`${base}/v1/public?x=1&x=2`, { headers: { 'x-custom': 'c' } });
    expect(res.status).toBe(201);
    expect(res.headers.get('x-test')).toBe('yes');
    expect(await res.text()).toBe('made');
    expect(seen[0]).toMatchObject({
      resource: '/v1/public',
      path: '/v1/public',
      httpMethod: 'GET',
      queryStringParameters: { x: '2' },
      multiValueQueryStringParameters: { x: ['1', '2'] },
      body: null,
      isBase64Encoded: false,
      requestContext: { stage: 'dev', path: '/dev/v1/public', resourcePath: '/v1/public', apiId: 'api1' },
    });
    expect(seen[0].headers['x-custom']).toBe('c');
  });

  it('answers 502 when the function fails, and 413 above 10 MB', async () => {
    outcome = { ok: false, timedOut: false, message: 'boom' };
    expect((await fetch(`${base}/v1/public`)).status).toBe(502);
    const big = await fetch(`${base}/v1/events`, {
      method: 'POST',
      body: Buffer.alloc(MAX_PAYLOAD_BYTES + 1, 0x20),
      headers: { 'x-api-key': 'secret-key' },
    });
    expect(big.status).toBe(413);
  });

  it('throttles a key at its usage plan (burst 2, then 429)', async () => {
    const post = () =>
      fetch(`${base}/v1/events`, {
        method: 'POST',
        body: '{"events":[]}',
        headers: { 'x-api-key': 'secret-key', 'content-type': 'application/json' },
      });
    const statuses = [(await post()).status, (await post()).status, (await post()).status];
    expect(statuses).toEqual([200, 200, 429]);
    expect(seen[0].requestContext.identity.apiKeyId).toBe('key1');
    expect(seen[0].body).toBe('{"events":[]}');
  });
});

describe('local REST API stop (drain)', () => {
  interface Answer {
    readonly status: number;
    readonly headers: http.IncomingHttpHeaders;
    readonly body: string;
    readonly reusedSocket: boolean;
  }
  const request = (url: string, agent: http.Agent, method = 'GET'): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const req = http.request(url, { method, agent, headers: { 'x-api-key': 'secret-key' } }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, reusedSocket: req.reusedSocket }));
      });
      req.on('error', reject);
      req.end(method === 'POST' ? '{"events":[]}' : undefined);
    });

  function slowApi(drainTimeoutMs?: number) {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let entered: () => void = () => undefined;
    const inFlight = new Promise<void>((resolve) => (entered = resolve));
    const options: LocalRestApiOptions = {
      restApiId: 'api1',
      stageName: 'dev',
      accountId: '000000000000',
      routes: [route('/v1/events'), route('/v1/public', 'GET', false)],
      apiKeys: [{ id: 'key1', value: 'secret-key' }],
      drainTimeoutMs,
      invoke: async (name) => {
        if (name === 'fn/v1/events') {
          entered();
          await gate;
        }
        return { ok: true, payload: { statusCode: 200, body: '{"ok":true}' } };
      },
    };
    return { options, release, inFlight };
  }

  it('refuses new requests at once (503, Retry-After, Connection: close), also on an open keep-alive connection, and finishes those in flight', async () => {
    // Prepare: an idle keep-alive connection, and a request in flight on another one.
    const { options, release, inFlight } = slowApi();
    const api = await startRestApi(options, 0);
    const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const other = new http.Agent({ keepAlive: true, maxSockets: 1 });
    expect((await request(`${api.url}/v1/public`, keepAlive)).status).toBe(200);
    const slow = request(`${api.url}/v1/events`, other, 'POST');
    await inFlight;

    // Act: stop, then a new request on the open connection.
    const stopped = api.stop();
    const refused = await request(`${api.url}/v1/public`, keepAlive);
    release();

    // Assess: refused on the reused connection, the one in flight answered, then nothing listens.
    expect(refused).toMatchObject({ status: 503, reusedSocket: true });
    expect(refused.headers['retry-after']).toBe(String(DRAIN_RETRY_AFTER_S));
    expect(refused.headers.connection).toBe('close');
    expect(JSON.parse(refused.body)).toEqual({ message: expect.stringContaining('stopping') });
    const answered = await slow;
    expect(answered.status).toBe(200);
    expect(answered.headers.connection).toBe('close');
    await stopped;
    expect(await isPortOpen(api.port)).toBe(false);
    keepAlive.destroy();
    other.destroy();
  });

  it('cuts a request still in flight after the drain timeout', async () => {
    const { options, release, inFlight } = slowApi(200);
    const api = await startRestApi(options, 0);
    const agent = new http.Agent({ keepAlive: false });
    const slow = request(`${api.url}/v1/events`, agent, 'POST').then(
      (a) => a.status,
      (e: NodeJS.ErrnoException) => e.code,
    );
    await inFlight;
    const started = Date.now();
    await api.stop();
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await slow).toBe('ECONNRESET');
    release();
  });
});
