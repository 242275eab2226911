import {
  authorizeUrl,
  base64Url,
  challengeOf,
  codeExchangeBody,
  identityOf,
  isExpired,
  logoutUrl,
  parseAuthConfig,
  parseCallback,
  parseTokenAnswer,
  randomString,
  refreshBody,
  refreshDelayMs,
  roleOf,
  SignInError,
  withoutCallbackParams,
  type AuthConfig,
} from '../../../dashboard/src/auth';
import { errorOf, parseConfig, ReadApi } from '../../../dashboard/src/api';
import { s256 } from '../../../local/cognito/managed-login';

const AUTH: AuthConfig = { domain: 'http://127.0.0.1:23008', clientId: 'dashclient1', scopes: ['openid', 'email', 'profile'] };

/** An unsigned JWT with the given claims (the page never verifies: the API does). */
function jwt(claims: Record<string, unknown>): string {
  const part = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'RS256', kid: 'k1' })}.${part(claims)}.c2lnbmF0dXJl`;
}

describe('PKCE', () => {
  it('derives the S256 challenge of RFC 7636 appendix B, as the managed login checks it', async () => {
    await expect(challengeOf('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).resolves.toBe('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
    const verifier = randomString(32);
    await expect(challengeOf(verifier)).resolves.toBe(s256(verifier));
  });

  it('makes 43-character base64url verifiers from 32 random bytes, different each time', () => {
    const a = randomString(32);
    const b = randomString(32);
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a).not.toBe(b);
    expect(randomString(4, (bytes) => bytes.fill(0xff))).toBe('_____w');
    expect(base64Url(new Uint8Array([0xfb, 0xff]))).toBe('-_8');
  });
});

describe('authorize, token and logout requests', () => {
  it('asks for the code flow with the S256 challenge, the scopes and the state', () => {
    const url = new URL(authorizeUrl(AUTH, 'http://127.0.0.1:23006/', 'st-1', 'ch-1'));
    expect(`${url.origin}${url.pathname}`).toBe('http://127.0.0.1:23008/oauth2/authorize');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: 'code',
      client_id: 'dashclient1',
      redirect_uri: 'http://127.0.0.1:23006/',
      scope: 'openid email profile',
      state: 'st-1',
      code_challenge: 'ch-1',
      code_challenge_method: 'S256',
    });
  });

  it('signs out through /logout with the client and the page as logout_uri', () => {
    const url = new URL(logoutUrl(AUTH, 'https://d111.cloudfront.net/'));
    expect(url.pathname).toBe('/logout');
    expect(Object.fromEntries(url.searchParams)).toEqual({ client_id: 'dashclient1', logout_uri: 'https://d111.cloudfront.net/' });
  });

  it('builds the token forms of both grants', () => {
    expect(Object.fromEntries(codeExchangeBody(AUTH, 'c1', 'http://x/', 'v1'))).toEqual({
      grant_type: 'authorization_code',
      client_id: 'dashclient1',
      code: 'c1',
      redirect_uri: 'http://x/',
      code_verifier: 'v1',
    });
    expect(Object.fromEntries(refreshBody(AUTH, 'r1'))).toEqual({
      grant_type: 'refresh_token',
      client_id: 'dashclient1',
      refresh_token: 'r1',
    });
  });

  it('reads the callback: a code, an error, or nothing; and the address without them', () => {
    expect(parseCallback('?code=abc&state=s1')).toEqual({ kind: 'code', code: 'abc', state: 's1' });
    expect(parseCallback('?error=access_denied&error_description=no&state=s1')).toEqual({
      kind: 'error',
      error: 'access_denied',
      description: 'no',
      state: 's1',
    });
    expect(parseCallback('?code=abc')).toEqual({ kind: 'code', code: 'abc', state: '' });
    expect(parseCallback('?date=2024-05-27')).toEqual({ kind: 'none' });
    expect(withoutCallbackParams('?date=2024-05-27&code=abc&state=s1')).toBe('?date=2024-05-27');
    expect(withoutCallbackParams('?code=abc&state=s1')).toBe('');
  });
});

describe('token answers and claims', () => {
  it('reads a token answer, with or without a refresh token', () => {
    expect(parseTokenAnswer(200, { id_token: 'i', access_token: 'a', refresh_token: 'r', expires_in: 3600, token_type: 'Bearer' })).toEqual(
      {
        idToken: 'i',
        accessToken: 'a',
        refreshToken: 'r',
        expiresIn: 3600,
      },
    );
    expect(parseTokenAnswer(200, { id_token: 'i', access_token: 'a', expires_in: 900 })).toEqual({
      idToken: 'i',
      accessToken: 'a',
      expiresIn: 900,
    });
  });

  it('turns an OAuth error or a malformed answer into a SignInError saying what happened', () => {
    const refused = (() => {
      try {
        parseTokenAnswer(400, { error: 'invalid_grant', error_description: 'code expired' });
      } catch (error) {
        return error;
      }
      return undefined;
    })();
    expect(refused).toBeInstanceOf(SignInError);
    expect((refused as SignInError).oauthError).toBe('invalid_grant');
    expect((refused as SignInError).message).toMatch(/invalid_grant: code expired/);
    expect(() => parseTokenAnswer(502, undefined)).toThrow(/HTTP 502/);
    expect(() => parseTokenAnswer(200, { access_token: 'a', expires_in: 1 })).toThrow(/id_token/);
    expect(() => parseTokenAnswer(200, { id_token: 'i', access_token: 'a', expires_in: 0 })).toThrow(/expires_in/);
  });

  it('reads who is signed in and their role from the ID token', () => {
    const token = jwt({
      sub: 'u-1',
      email: 'ana@example.com',
      'cognito:groups': ['analyst'],
      token_use: 'id',
      iat: 1_000,
      exp: 4_600,
    });
    expect(identityOf(token)).toEqual({ email: 'ana@example.com', groups: ['analyst'], role: 'analyst', iat: 1_000, exp: 4_600 });
    // Non-ASCII survives the base64url → UTF-8 decoding.
    expect(identityOf(jwt({ email: 'zoë@例子.cn', exp: 10 })).email).toBe('zoë@例子.cn');
    expect(identityOf(jwt({ 'cognito:username': 'ops1', exp: 10 }))).toMatchObject({ email: 'ops1', role: undefined, groups: [] });
  });

  it('refuses an access token, a token without exp and something that is not a JWT', () => {
    expect(() => identityOf(jwt({ token_use: 'access', exp: 10 }))).toThrow(/not an ID token/);
    expect(() => identityOf(jwt({ email: 'x' }))).toThrow(/exp/);
    expect(() => identityOf('abc')).toThrow(/not a JWT/);
    expect(() => identityOf('a.%%%.c')).toThrow(/base64url JSON/);
  });

  it('takes the most privileged known group as the role', () => {
    expect(roleOf(['analyst', 'operator'])).toBe('operator');
    expect(roleOf(['developer', 'admin'])).toBe('admin');
    expect(roleOf(['analyst'])).toBe('analyst');
    expect(roleOf(['marketing'])).toBeUndefined();
    expect(roleOf([])).toBeUndefined();
  });
});

describe('token expiry', () => {
  it('refreshes 5 minutes before expiry, or at half the lifetime for short tokens', () => {
    // An hour's token issued at t=0: refresh at 55 min.
    expect(refreshDelayMs(0, 3600, 0)).toBe(55 * 60_000);
    expect(refreshDelayMs(0, 3600, 50 * 60_000)).toBe(5 * 60_000);
    // A 6-minute token: refresh after 3 minutes.
    expect(refreshDelayMs(0, 360, 0)).toBe(180_000);
    // Past the refresh point (a laptop waking up): at once.
    expect(refreshDelayMs(0, 3600, 58 * 60_000)).toBe(0);
    expect(refreshDelayMs(0, 3600, 2 * 3600_000)).toBe(0);
  });

  it('counts a token as expired from 30 s before its exp', () => {
    expect(isExpired(100, 69_999)).toBe(false);
    expect(isExpired(100, 70_000)).toBe(true);
    expect(isExpired(100, 99_999, 0)).toBe(false);
    expect(isExpired(100, 100_000, 0)).toBe(true);
  });
});

describe('config.json', () => {
  const good = {
    apiBase: '/v1/',
    stage: 'dev',
    auth: { domain: 'https://uba-dev.auth.eu-west-1.amazoncognito.com/', clientId: 'abc123', scopes: ['openid', 'email'] },
  };

  it('reads the sign-in settings instead of any key', () => {
    expect(parseConfig(good)).toEqual({
      apiBase: '/v1',
      title: 'User-behaviour analytics',
      stage: 'dev',
      timeZone: 'UTC',
      refreshSeconds: 5,
      auth: { domain: 'https://uba-dev.auth.eu-west-1.amazoncognito.com', clientId: 'abc123', scopes: ['openid', 'email'] },
    });
    expect(parseAuthConfig({ domain: 'http://127.0.0.1:23008', clientId: 'c' })).toEqual({
      domain: 'http://127.0.0.1:23008',
      clientId: 'c',
      scopes: ['openid'],
    });
  });

  it.each([
    [{ ...good, auth: undefined }, /"auth" must be an object/],
    [{ ...good, auth: { ...good.auth, domain: 'javascript:alert(1)' } }, /auth\.domain/],
    [{ ...good, auth: { ...good.auth, domain: 'https://x.example/path' } }, /auth\.domain/],
    [{ ...good, auth: { ...good.auth, clientId: 'a b' } }, /auth\.clientId/],
    [{ ...good, auth: { ...good.auth, scopes: [] } }, /auth\.scopes/],
    [{ ...good, auth: { ...good.auth, scopes: ['email'] } }, /openid/],
  ])('names the bad sign-in field (%#)', (raw, message) => {
    expect(() => parseConfig(raw)).toThrow(message);
  });
});

describe('read API client and its errors', () => {
  const answer = (status: number, body: unknown, headers: Record<string, string> = {}): Response =>
    new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

  it('sends the current ID token as the Authorization header, and none while signed out', async () => {
    const seen: Array<Headers> = [];
    let token: string | undefined = 'id-1';
    const api = new ReadApi(
      '/v1',
      () => token,
      (_url, init) => {
        seen.push(new Headers(init?.headers));
        return Promise.resolve(answer(200, { series: [] }));
      },
    );
    await api.metrics({ name: 'events' });
    token = 'id-2';
    await api.metrics({ name: 'events' });
    token = undefined;
    await api.metrics({ name: 'events' });
    expect(seen.map((h) => h.get('authorization'))).toEqual(['id-1', 'id-2', null]);
    expect(seen.every((h) => !h.has('x-api-key'))).toBe(true);
  });

  it('tells a refused token (401) from a role the route does not allow (403) and from a missing route', async () => {
    const unauthorized = await errorOf(answer(401, { message: 'Unauthorized' }));
    expect([unauthorized.kind, unauthorized.status]).toEqual(['unauthorized', 401]);

    const forbidden = await errorOf(
      answer(403, { error: 'role operator may not read /v1/paths', field: '', reason: 'role operator may not read /v1/paths' }),
    );
    expect([forbidden.kind, forbidden.message]).toEqual(['forbidden', 'role operator may not read /v1/paths']);

    const noRoute = await errorOf(answer(403, { message: 'Missing Authentication Token' }));
    expect(noRoute.kind).toBe('not-found');
  });
});
