import * as http from 'http';
import type { AddressInfo } from 'net';
import {
  CODE_TTL_MS,
  ExpiringMap,
  managedLoginHandler,
  parseAuthorizeRequest,
  s256,
  verifyS256,
  type ManagedLoginBackend,
} from '../../../local/cognito/managed-login';

const CLIENT = 'dashboard-client';
const OTHER = 'cli-client';
const CALLBACK = 'http://127.0.0.1:23006/';
const LOGOUT = 'http://127.0.0.1:23006/?signed-out';
const VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

/** A backend with one user (`ana@example.com` / `Passw0rd!`) and two clients; tokens name user, client and a counter. */
function testBackend(): ManagedLoginBackend & { issued: string[] } {
  const issued: string[] = [];
  const refreshTokens = new Map<string, { username: string; clientId: string }>();
  return {
    issued,
    authenticate: (email, password) =>
      Promise.resolve(
        email === 'ana@example.com' && password === 'Passw0rd!'
          ? { ok: true as const, username: 'user-ana' }
          : { ok: false as const, reason: 'Incorrect username or password.' },
      ),
    issueTokens: (username, clientId) => {
      const n = issued.push(`${username}@${clientId}`);
      refreshTokens.set(`refresh-${n}`, { username, clientId });
      return Promise.resolve({ idToken: `id-${username}-${n}`, accessToken: `access-${n}`, refreshToken: `refresh-${n}`, expiresIn: 3600 });
    },
    refresh: (token, clientId) => {
      const known = refreshTokens.get(token);
      return Promise.resolve(
        known && known.clientId === clientId
          ? { idToken: `id-${known.username}-refreshed`, accessToken: 'access-refreshed', expiresIn: 3600 }
          : undefined,
      );
    },
    client: (id) =>
      id === CLIENT
        ? { callbackUrls: [CALLBACK], logoutUrls: [LOGOUT] }
        : id === OTHER
          ? { callbackUrls: ['http://localhost:9999/cb'], logoutUrls: [] }
          : undefined,
  };
}

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function request(port: number, method: string, path: string, headers: http.OutgoingHttpHeaders = {}, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const form = (fields: Record<string, string>): string => new URLSearchParams(fields).toString();
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

function authorizeQuery(overrides: Record<string, string | undefined> = {}): string {
  const params: Record<string, string | undefined> = {
    response_type: 'code',
    client_id: CLIENT,
    redirect_uri: CALLBACK,
    state: 's-123',
    scope: 'openid email profile',
    code_challenge: CHALLENGE,
    code_challenge_method: 'S256',
    ...overrides,
  };
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, v);
  return q.toString();
}

/** The `name=value` of a set-cookie header's cookie `name`. */
function cookie(answer: Answer, name: string): string {
  const found = (answer.headers['set-cookie'] ?? []).find((c) => c.startsWith(`${name}=`));
  if (!found) throw new Error(`no ${name} cookie in ${JSON.stringify(answer.headers['set-cookie'])}`);
  return found.split(';')[0];
}

describe('managed login (local Cognito hosted UI)', () => {
  let server: http.Server;
  let port: number;
  let clock: number;
  let backend: ReturnType<typeof testBackend>;

  beforeAll(async () => {
    clock = Date.parse('2026-01-01T00:00:00Z');
    backend = testBackend();
    const handle = managedLoginHandler(backend, { now: () => clock });
    server = http.createServer((req, res) => {
      handle(req, res).then(
        (handled) => {
          if (!handled) {
            res.writeHead(404);
            res.end('not managed login');
          }
        },
        (error: unknown) => {
          res.writeHead(500);
          res.end(String(error));
        },
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  /** Signs in through the form; returns the callback's code and the session cookie. */
  async function signIn(
    query = authorizeQuery(),
    sessionCookie?: string,
  ): Promise<{ code: string; state: string | null; session: string }> {
    const authorize = await request(port, 'GET', `/oauth2/authorize?${query}`, sessionCookie ? { cookie: sessionCookie } : {});
    expect(authorize.status).toBe(302);
    const loginPath = authorize.headers.location ?? '';
    expect(loginPath).toMatch(/^\/login\?/);
    const page = await request(port, 'GET', loginPath);
    expect(page.status).toBe(200);
    const csrf = cookie(page, 'XSRF-TOKEN');
    const hidden = Object.fromEntries(
      [...page.body.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1], m[2]]),
    );
    const posted = await request(
      port,
      'POST',
      '/login',
      { ...FORM, cookie: csrf },
      form({ ...hidden, username: 'ana@example.com', password: 'Passw0rd!' }),
    );
    expect(posted.status).toBe(302);
    const callback = new URL(posted.headers.location ?? '');
    expect(`${callback.origin}${callback.pathname}`).toBe(CALLBACK);
    return { code: callback.searchParams.get('code') ?? '', state: callback.searchParams.get('state'), session: cookie(posted, 'cognito') };
  }

  const redeem = (fields: Record<string, string>): Promise<Answer> =>
    request(
      port,
      'POST',
      '/oauth2/token',
      FORM,
      form({ grant_type: 'authorization_code', client_id: CLIENT, redirect_uri: CALLBACK, code_verifier: VERIFIER, ...fields }),
    );

  it('computes the S256 challenge of RFC 7636 appendix B and rejects malformed verifiers', () => {
    expect(s256(VERIFIER)).toBe(CHALLENGE);
    expect(verifyS256(VERIFIER, CHALLENGE)).toBe(true);
    expect(verifyS256(`${VERIFIER}x`, CHALLENGE)).toBe(false);
    expect(verifyS256('short', s256('short'))).toBe(false);
    const bad = 'a'.repeat(42) + ' ';
    expect(verifyS256(bad, s256(bad))).toBe(false);
  });

  it('signs in with the code flow and PKCE: the callback gets code and state, the code gives tokens once', async () => {
    const { code, state } = await signIn();
    expect(state).toBe('s-123');
    expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const answer = await redeem({ code });
    expect(answer.status).toBe(200);
    expect(answer.headers['access-control-allow-origin']).toBe('*');
    expect(JSON.parse(answer.body)).toEqual({
      id_token: expect.stringMatching(/^id-user-ana-\d+$/),
      access_token: expect.any(String),
      refresh_token: expect.any(String),
      expires_in: 3600,
      token_type: 'Bearer',
    });

    const again = await redeem({ code });
    expect(again.status).toBe(400);
    expect(JSON.parse(again.body)).toMatchObject({ error: 'invalid_grant' });
  });

  it('refuses a code with the wrong verifier, redirect_uri or client, and spends it on the first try', async () => {
    const { code } = await signIn();
    const wrongVerifier = await redeem({ code, code_verifier: 'x'.repeat(43) });
    expect(JSON.parse(wrongVerifier.body)).toMatchObject({
      error: 'invalid_grant',
      error_description: expect.stringMatching(/code_verifier/),
    });
    // The right verifier now: the code was spent by the failed attempt.
    expect(JSON.parse((await redeem({ code })).body)).toMatchObject({ error: 'invalid_grant' });

    const second = await signIn();
    const wrongRedirect = await redeem({ code: second.code, redirect_uri: 'http://127.0.0.1:23006/other' });
    expect(JSON.parse(wrongRedirect.body)).toMatchObject({
      error: 'invalid_grant',
      error_description: expect.stringMatching(/redirect_uri/),
    });

    const third = await signIn();
    const otherClient = await redeem({ code: third.code, client_id: OTHER });
    expect(JSON.parse(otherClient.body)).toMatchObject({
      error: 'invalid_grant',
      error_description: expect.stringMatching(/another client/),
    });

    const missingVerifier = await request(
      port,
      'POST',
      '/oauth2/token',
      FORM,
      form({ grant_type: 'authorization_code', client_id: CLIENT, code: 'x', redirect_uri: CALLBACK }),
    );
    expect(JSON.parse(missingVerifier.body)).toMatchObject({
      error: 'invalid_request',
      error_description: expect.stringMatching(/code_verifier/),
    });
  });

  it('lets a code expire after 5 minutes', async () => {
    const { code } = await signIn();
    clock += CODE_TTL_MS;
    const late = await redeem({ code });
    expect(late.status).toBe(400);
    expect(JSON.parse(late.body)).toMatchObject({ error: 'invalid_grant' });

    const fresh = await signIn();
    clock += CODE_TTL_MS - 1;
    expect((await redeem({ code: fresh.code })).status).toBe(200);
  });

  it('refreshes tokens for the client they were issued to', async () => {
    const { code } = await signIn();
    const tokens = JSON.parse((await redeem({ code })).body) as { refresh_token: string };
    const refresh = (clientId: string): Promise<Answer> =>
      request(
        port,
        'POST',
        '/oauth2/token',
        FORM,
        form({ grant_type: 'refresh_token', client_id: clientId, refresh_token: tokens.refresh_token }),
      );
    const refreshed = await refresh(CLIENT);
    expect(refreshed.status).toBe(200);
    const body = JSON.parse(refreshed.body) as Record<string, unknown>;
    expect(body).toEqual({ id_token: 'id-user-ana-refreshed', access_token: 'access-refreshed', expires_in: 3600, token_type: 'Bearer' });

    const stolen = await refresh(OTHER);
    expect(JSON.parse(stolen.body)).toMatchObject({ error: 'invalid_grant' });
  });

  it('answers the token endpoint errors Cognito documents', async () => {
    const cases: Array<[http.OutgoingHttpHeaders, string, string]> = [
      [{ 'content-type': 'application/json' }, '{"grant_type":"refresh_token"}', 'invalid_request'],
      [FORM, form({ client_id: CLIENT }), 'invalid_request'],
      [FORM, form({ grant_type: 'password', client_id: CLIENT }), 'unsupported_grant_type'],
      [FORM, form({ grant_type: 'client_credentials', client_id: 'nobody' }), 'invalid_client'],
      [FORM, form({ grant_type: 'refresh_token' }), 'invalid_request'],
      [FORM, 'grant_type=refresh_token&grant_type=authorization_code&client_id=' + CLIENT, 'invalid_request'],
    ];
    for (const [headers, body, error] of cases) {
      const answer = await request(port, 'POST', '/oauth2/token', headers, body);
      expect({ body, status: answer.status, error: (JSON.parse(answer.body) as { error: string }).error }).toEqual({
        body,
        status: 400,
        error,
      });
    }
    const preflight = await request(port, 'OPTIONS', '/oauth2/token', { origin: 'http://127.0.0.1:23006' });
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-methods']).toMatch(/POST/);
  });

  it('shows a page, never a redirect, for an unknown client or an unregistered redirect_uri', async () => {
    const unknown = await request(port, 'GET', `/oauth2/authorize?${authorizeQuery({ client_id: 'nobody' })}`);
    expect(unknown.status).toBe(400);
    expect(unknown.headers.location).toBeUndefined();
    expect(unknown.body).toMatch(/invalid_client/);

    const evil = await request(port, 'GET', `/oauth2/authorize?${authorizeQuery({ redirect_uri: 'https://evil.example/cb' })}`);
    expect(evil.status).toBe(400);
    expect(evil.headers.location).toBeUndefined();
    expect(evil.body).toMatch(/redirect_mismatch/);
  });

  it('redirects the other authorize errors to the callback with error, description and state', async () => {
    const cases: Array<[Record<string, string | undefined>, string, RegExp]> = [
      [{ code_challenge: undefined }, 'invalid_request', /code_challenge is required/],
      [{ code_challenge_method: 'plain', code_challenge: 'a'.repeat(43) }, 'invalid_request', /S256/],
      [{ code_challenge_method: undefined }, 'invalid_request', /S256/],
      [{ code_challenge: 'too-short' }, 'invalid_request', /43-character/],
      [{ response_type: 'token' }, 'unsupported_response_type', /code/],
      [{ scope: 'openid admin:all' }, 'invalid_scope', /admin:all/],
    ];
    for (const [overrides, error, description] of cases) {
      const answer = await request(port, 'GET', `/oauth2/authorize?${authorizeQuery(overrides)}`);
      expect(answer.status).toBe(302);
      const location = new URL(answer.headers.location ?? '');
      expect(`${location.origin}${location.pathname}`).toBe(CALLBACK);
      expect(location.searchParams.get('error')).toBe(error);
      expect(location.searchParams.get('error_description')).toMatch(description);
      expect(location.searchParams.get('state')).toBe('s-123');
      expect(location.searchParams.get('code')).toBeNull();
    }
  });

  it('shows the form again with the error for a wrong password, and refuses a post without the CSRF cookie', async () => {
    const page = await request(port, 'GET', `/login?${authorizeQuery()}`);
    expect(page.body).not.toMatch(/sign ?up/i);
    expect(page.headers['content-security-policy']).toMatch(/frame-ancestors 'none'/);
    const csrf = cookie(page, 'XSRF-TOKEN');
    const token = csrf.split('=')[1];
    const fields = Object.fromEntries(new URLSearchParams(authorizeQuery()));

    const wrong = await request(
      port,
      'POST',
      '/login',
      { ...FORM, cookie: csrf },
      form({ ...fields, _csrf: token, username: 'ana@example.com', password: 'nope' }),
    );
    expect(wrong.status).toBe(400);
    expect(wrong.headers.location).toBeUndefined();
    expect(wrong.body).toMatch(/Incorrect username or password\./);
    expect(wrong.body).toMatch(/value="ana@example.com"/);

    const forged = await request(
      port,
      'POST',
      '/login',
      FORM,
      form({ ...fields, _csrf: token, username: 'ana@example.com', password: 'Passw0rd!' }),
    );
    expect(forged.status).toBe(403);
    expect(forged.headers.location).toBeUndefined();
  });

  it('escapes what the authorize request carries into the page', async () => {
    const page = await request(port, 'GET', `/login?${authorizeQuery({ state: '"><script>alert(1)</script>' })}`);
    expect(page.status).toBe(200);
    expect(page.body).not.toContain('<script>alert(1)');
    expect(page.body).toContain('&quot;&gt;&lt;script&gt;');
  });

  it('keeps a session: authorize answers with a code at once until sign-out, which checks the logout URL', async () => {
    const first = await signIn();
    const again = await request(port, 'GET', `/oauth2/authorize?${authorizeQuery({ state: 's-2' })}`, { cookie: first.session });
    expect(again.status).toBe(302);
    const callback = new URL(again.headers.location ?? '');
    expect(callback.searchParams.get('state')).toBe('s-2');
    expect((await redeem({ code: callback.searchParams.get('code') ?? '' })).status).toBe(200);

    const badLogout = await request(port, 'GET', `/logout?client_id=${CLIENT}&logout_uri=${encodeURIComponent('https://evil.example/')}`, {
      cookie: first.session,
    });
    expect(badLogout.status).toBe(400);
    expect(badLogout.headers.location).toBeUndefined();
    const noClient = await request(port, 'GET', `/logout?logout_uri=${encodeURIComponent(LOGOUT)}`, { cookie: first.session });
    expect(noClient.status).toBe(400);

    const logout = await request(port, 'GET', `/logout?client_id=${CLIENT}&logout_uri=${encodeURIComponent(LOGOUT)}`, {
      cookie: first.session,
    });
    expect(logout.status).toBe(302);
    expect(logout.headers.location).toBe(LOGOUT);
    expect(logout.headers['set-cookie']?.[0]).toMatch(/^cognito=;.*Max-Age=0/);

    const after = await request(port, 'GET', `/oauth2/authorize?${authorizeQuery()}`, { cookie: first.session });
    expect(after.headers.location).toMatch(/^\/login\?/);
  });

  it('signs out and back in with the redirect_uri form of /logout', async () => {
    const { session } = await signIn();
    const answer = await request(port, 'GET', `/logout?${authorizeQuery()}`, { cookie: session });
    expect(answer.status).toBe(302);
    expect(answer.headers.location).toMatch(/^\/login\?/);
    expect(new URLSearchParams((answer.headers.location ?? '').split('?')[1]).get('code_challenge')).toBe(CHALLENGE);
  });

  it('leaves other paths to the caller', async () => {
    expect((await request(port, 'GET', '/oauth2/userInfo')).status).toBe(404);
    expect((await request(port, 'GET', '/oauth2/token')).status).toBe(404);
  });
});

describe('parseAuthorizeRequest', () => {
  const backend = testBackend();
  it('reads a good request with its scopes, state and nonce', () => {
    const request = parseAuthorizeRequest(new URLSearchParams(`${authorizeQuery()}&nonce=n-1`), backend);
    expect(request).toEqual({
      clientId: CLIENT,
      redirectUri: CALLBACK,
      state: 's-123',
      scopes: ['openid', 'email', 'profile'],
      codeChallenge: CHALLENGE,
      nonce: 'n-1',
    });
  });
  it('refuses a repeated parameter', () => {
    expect(() => parseAuthorizeRequest(new URLSearchParams(`${authorizeQuery()}&state=two`), backend)).toThrow(/state is repeated/);
  });
});

describe('ExpiringMap', () => {
  it('holds at most max entries, dropping the oldest, and expires them', () => {
    let now = 0;
    const map = new ExpiringMap<number>(1000, 3, () => now);
    for (let i = 0; i < 5; i++) map.set(`k${i}`, i);
    expect(map.size).toBe(3);
    expect(map.get('k0')).toBeUndefined();
    expect(map.get('k4')).toBe(4);
    expect(map.take('k4')).toBe(4);
    expect(map.take('k4')).toBeUndefined();
    now = 1000;
    expect(map.get('k3')).toBeUndefined();
  });
});
