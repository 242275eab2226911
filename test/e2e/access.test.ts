/**
 * Who may read what, end to end on the local runtime: the role × route table (lambdas/shared/access.ts)
 * for every role and read route through the API Gateway stand-in's Cognito authorizer, tokens it
 * must refuse, and producer keys and people's tokens kept to their own routes.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ACCESS, READ_ROUTES, ROLES, type ReadRoute } from '../../lambdas/shared/access';
import { decodeJwtClaims, generateSigningKey, importSigningKey, signJwt } from '../../local/cognito';
import type { LocalRuntime } from '../../local/runtime';
import { signIn } from '../../scripts/auth/sign-in';
import { allAlerts, startRuntime, tokenFor, waitForConsumers } from './harness';

jest.setTimeout(240_000);

let runtime: LocalRuntime;
let localDir: string;

beforeAll(async () => {
  ({ runtime, localDir } = await startRuntime());
});

afterAll(async () => {
  await runtime?.stop();
  if (localDir) fs.rmSync(localDir, { recursive: true, force: true });
});

/** A valid request on each read route (parameters each route requires). */
const REQUESTS: Readonly<Record<ReadRoute, string>> = {
  '/v1/alerts': '/v1/alerts',
  '/v1/metrics': '/v1/metrics?name=events',
  '/v1/paths': '/v1/paths',
  '/v1/paths.csv': '/v1/paths.csv',
  '/v1/reports': '/v1/reports',
  '/v1/reports/{name}': '/v1/reports/dau',
};

async function status(request: string, headers: Record<string, string> = {}, method = 'GET', body?: string): Promise<number> {
  const res = await fetch(`${runtime.endpoints.api}${request}`, { method, headers, ...(body !== undefined ? { body } : {}) });
  await res.arrayBuffer();
  return res.status;
}

describe('role × route matrix', () => {
  it.each(ROLES)('%s gets 200 where the table grants the route and 403 where it denies it', async (role) => {
    // prepare
    const authorization = await tokenFor(runtime, role);

    // act
    const seen: Record<string, number> = {};
    for (const route of READ_ROUTES) seen[route] = await status(REQUESTS[route], { authorization });

    // assess
    const expected = Object.fromEntries(READ_ROUTES.map((route) => [route, ACCESS[route][role] === 'deny' ? 403 : 200]));
    expect(seen).toEqual(expected);
  });

  it('answers 401 on every read route without a token, and with a producer key alone', async () => {
    for (const route of READ_ROUTES) {
      expect(await status(REQUESTS[route])).toBe(401);
      expect(await status(REQUESTS[route], { 'x-api-key': runtime.endpoints.apiKey })).toBe(401);
    }
    for (const key of Object.values(runtime.endpoints.apiKeys))
      expect(await status('/v1/metrics?name=events', { 'x-api-key': key })).toBe(401);
  });

  it('takes the token with a Bearer prefix too', async () => {
    expect(await status('/v1/metrics?name=events', { authorization: `Bearer ${await tokenFor(runtime, 'analyst')}` })).toBe(200);
  });
});

describe('tokens the authorizer refuses', () => {
  const key = () => {
    const state = JSON.parse(fs.readFileSync(path.join(localDir, 'run', 'cognito.json'), 'utf8')) as { key: { kid: string; pem: string } };
    return importSigningKey(state.key);
  };

  it('refuses forged, expired, wrong-audience, wrong-issuer and access tokens with 401', async () => {
    // prepare
    const user = runtime.endpoints.users.find((u) => u.role === 'admin');
    if (!user) throw new Error('no admin demo user');
    const target = {
      region: runtime.endpoints.cognito.region,
      clientId: runtime.endpoints.cognito.clients.cli,
      endpoint: runtime.endpoints.cognito.endpoint,
    };
    const signedIn = await signIn(target, user.email, user.password);
    const claims = decodeJwtClaims(signedIn.idToken) ?? {};
    const now = Math.floor(Date.now() / 1000);
    const [header] = signedIn.idToken.split('.');

    // act
    const refused = {
      forged: await status('/v1/metrics?name=events', { authorization: signJwt(claims, generateSigningKey(key().kid)) }),
      tampered: await status('/v1/metrics?name=events', {
        authorization: `${header}.${Buffer.from(JSON.stringify({ ...claims, 'cognito:groups': ['admin', 'x'] })).toString('base64url')}.${signedIn.idToken.split('.')[2]}`,
      }),
      expired: await status('/v1/metrics?name=events', { authorization: signJwt({ ...claims, iat: now - 7200, exp: now - 3600 }, key()) }),
      wrongAudience: await status('/v1/metrics?name=events', { authorization: signJwt({ ...claims, aud: 'another-client' }, key()) }),
      wrongIssuer: await status('/v1/metrics?name=events', {
        authorization: signJwt({ ...claims, iss: `${runtime.endpoints.cognito.endpoint}/us-east-1_Elsewhere` }, key()),
      }),
      accessToken: await status('/v1/metrics?name=events', { authorization: signedIn.accessToken }),
    };
    const accepted = await status('/v1/metrics?name=events', { authorization: signedIn.idToken });

    // assess
    expect(refused).toEqual({ forged: 401, tampered: 401, expired: 401, wrongAudience: 401, wrongIssuer: 401, accessToken: 401 });
    expect(accepted).toBe(200);
  });
});

describe('producers and people keep to their own routes', () => {
  it("a person's token cannot ingest (403: ingest asks for a producer key), a producer key can", async () => {
    const body = JSON.stringify({
      events: [{ eventId: 'access-1', action: 'page_view', userId: 'u1', createdAt: new Date().toISOString(), path: '/home' }],
    });
    const json = { 'content-type': 'application/json' };
    expect(await status('/v1/events', { ...json, authorization: await tokenFor(runtime, 'admin') }, 'POST', body)).toBe(403);
    for (const key of Object.values(runtime.endpoints.apiKeys)) {
      expect(await status('/v1/events', { ...json, 'x-api-key': key }, 'POST', body)).toBe(200);
    }
  });

  it('lists the demo users and the Cognito endpoints in endpoints.json', () => {
    const listed = JSON.parse(fs.readFileSync(path.join(localDir, 'endpoints.json'), 'utf8')) as typeof runtime.endpoints;
    expect(listed.users.map((u) => u.role)).toEqual([...ROLES]);
    expect(listed.cognito).toMatchObject({
      endpoint: expect.stringMatching(/^http:\/\/127\.0\.0\.1:/),
      clients: { cli: expect.any(String) },
    });
    expect(listed.cognito.issuer).toBe(`${listed.cognito.endpoint}/${listed.cognito.userPoolId}`);
  });
});

describe('masked alerts', () => {
  it('gives an analyst the error alert without userId and errorMsg, an operator in full', async () => {
    // prepare: one event the error filter matches
    const event = {
      eventId: 'masked-1',
      action: 'pay',
      userId: 'u-13800001111',
      createdAt: new Date().toISOString(),
      errorMsg: '[error] card 4111 declined',
    };
    const res = await fetch(`${runtime.endpoints.api}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': runtime.endpoints.apiKey },
      body: JSON.stringify({ events: [event] }),
    });
    expect(res.status).toBe(200);
    await waitForConsumers(runtime);

    // act
    const analyst = (await allAlerts(runtime, 'error', 'analyst')).find((a) => a.eventId === 'masked-1');
    const operator = (await allAlerts(runtime, 'error', 'operator')).find((a) => a.eventId === 'masked-1');

    // assess
    expect(analyst).toMatchObject({ kind: 'error', eventId: 'masked-1', action: 'pay' });
    expect(analyst).not.toHaveProperty('userId');
    expect(analyst).not.toHaveProperty('errorMsg');
    expect(operator).toMatchObject({ userId: 'u-13800001111', errorMsg: '[error] card 4111 declined' });
  });
});
