/**
 * The local stand-in of Cognito's managed login (the hosted sign-in pages and OAuth 2.0 endpoints of a
 * user pool domain), for public app clients: the authorization code grant with PKCE (S256 only),
 * the refresh_token grant and sign-out. The Cognito stand-in mounts it on its port and supplies the
 * users and tokens through {@link ManagedLoginBackend}.
 *
 * As Cognito's documentation describes the endpoints:
 * - `GET /oauth2/authorize`: checks the client and `redirect_uri` (errors about those are shown as a
 *   page, never redirected to an unchecked address), then the other parameters (errors redirected to
 *   the callback as `error` / `error_description` / `state`); with a live sign-in session it answers
 *   with a code at once, otherwise it sends the browser to `/login` with the same parameters.
 * - `GET /login` / `POST /login`: the sign-in form (email and password, no sign-up link; a CSRF
 *   token as a cookie and a hidden field); a good password starts a session (cookie, 1 hour) and
 *   redirects to the callback with `code` and `state`.
 * - `POST /oauth2/token` (form-encoded, `client_id` in the body): `authorization_code` with the
 *   `code_verifier` (codes are single use, valid 5 minutes, bound to the client, the `redirect_uri` and
 *   the challenge) and `refresh_token`; errors are 400 JSON `{ error }` with the documented codes.
 *   The answer allows any origin (CORS), so a single-page app can call it.
 * - `GET /logout?client_id&logout_uri`: ends the session and redirects to `logout_uri`, which must be
 *   one of the client's sign-out URLs; with `redirect_uri` and `response_type` instead it ends the
 *   session and shows the sign-in page again.
 */
import { createHash, randomBytes, timingSafeEqual } from 'crypto';
import type * as http from 'http';

/** What the Cognito stand-in provides: users, tokens and app clients. */
export interface ManagedLoginBackend {
  authenticate(email: string, password: string): Promise<{ ok: true; username: string } | { ok: false; reason: string }>;
  issueTokens(
    username: string,
    clientId: string,
  ): Promise<{ idToken: string; accessToken: string; refreshToken: string; expiresIn: number }>;
  refresh(refreshToken: string, clientId: string): Promise<{ idToken: string; accessToken: string; expiresIn: number } | undefined>;
  client(clientId: string): { readonly callbackUrls: readonly string[]; readonly logoutUrls: readonly string[] } | undefined;
}

/** Options of {@link managedLoginHandler}, for tests. */
export interface ManagedLoginOptions {
  /** Clock in epoch ms. @default Date.now */
  readonly now?: () => number;
}

/** Authorization codes are valid this long (Cognito: 5 minutes). */
export const CODE_TTL_MS = 5 * 60_000;
/** A managed-login session lasts this long (Cognito's default session cookie: 1 hour). */
export const SESSION_TTL_MS = 60 * 60_000;
/** At most this many codes and sessions are held at once; the oldest go first. */
export const MAX_PENDING = 10_000;
/** Largest form body accepted. */
export const MAX_BODY_BYTES = 16 * 1024;
/** The OAuth scopes Cognito knows without resource servers. */
export const KNOWN_SCOPES: readonly string[] = ['openid', 'email', 'profile', 'phone', 'aws.cognito.signin.user.admin'];

const SESSION_COOKIE = 'cognito';
const CSRF_COOKIE = 'XSRF-TOKEN';
const MAX_PARAM = 2048;

/** An OAuth error as the endpoints answer it. */
export class OAuthError extends Error {
  constructor(
    readonly error: string,
    readonly description: string,
  ) {
    super(`${error}: ${description}`);
    this.name = 'OAuthError';
  }
}

/** base64url without padding. */
const b64url = (buffer: Buffer): string => buffer.toString('base64url');

/** A random, URL-safe token of `bytes` bytes. */
const randomToken = (bytes = 32): string => b64url(randomBytes(bytes));

/** The S256 code challenge of a verifier: BASE64URL(SHA256(ASCII(verifier))) (RFC 7636 §4.2). */
export function s256(verifier: string): string {
  return b64url(createHash('sha256').update(verifier, 'ascii').digest());
}

/** True when `verifier` is a well-formed RFC 7636 code verifier whose S256 challenge is `challenge`. */
export function verifyS256(verifier: string, challenge: string): boolean {
  if (!/^[A-Za-z0-9\-._~]{43,128}$/.test(verifier)) return false;
  const a = Buffer.from(s256(verifier));
  const b = Buffer.from(challenge);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A checked `/oauth2/authorize` request. */
export interface AuthorizeRequest {
  readonly clientId: string;
  readonly redirectUri: string;
  readonly state?: string;
  readonly scopes: readonly string[];
  readonly codeChallenge: string;
  readonly nonce?: string;
}

/** The parameters an authorize request carries to the sign-in form and back. */
const AUTHORIZE_PARAMS = [
  'response_type',
  'client_id',
  'redirect_uri',
  'state',
  'scope',
  'code_challenge',
  'code_challenge_method',
  'nonce',
];

/**
 * Where an authorize request's errors go: an error about the client or `redirect_uri` is shown on a
 * page (`redirect: undefined`), any later one is redirected to the checked callback.
 */
export class AuthorizeError extends OAuthError {
  constructor(
    error: string,
    description: string,
    readonly redirect?: { readonly uri: string; readonly state?: string },
  ) {
    super(error, description);
    this.name = 'AuthorizeError';
  }
}

/** One parameter, or undefined; throws when it is repeated or too long. */
function single(params: URLSearchParams, name: string, redirect?: AuthorizeError['redirect']): string | undefined {
  const all = params.getAll(name);
  if (all.length > 1) throw new AuthorizeError('invalid_request', `${name} is repeated`, redirect);
  const value = all[0];
  if (value !== undefined && value.length > MAX_PARAM)
    throw new AuthorizeError('invalid_request', `${name} is longer than ${MAX_PARAM} characters`, redirect);
  return value === '' ? undefined : value;
}

/**
 * Checks the parameters of an authorize request against the client's settings; throws an
 * {@link AuthorizeError} naming the parameter and the reason.
 */
export function parseAuthorizeRequest(params: URLSearchParams, backend: Pick<ManagedLoginBackend, 'client'>): AuthorizeRequest {
  const clientId = single(params, 'client_id');
  if (!clientId) throw new AuthorizeError('invalid_request', 'client_id is required');
  const client = backend.client(clientId);
  if (!client) throw new AuthorizeError('invalid_client', `client_id ${clientId.slice(0, 128)} is not an app client of this user pool`);
  const redirectUri = single(params, 'redirect_uri');
  if (!redirectUri) throw new AuthorizeError('invalid_request', 'redirect_uri is required');
  if (!client.callbackUrls.includes(redirectUri))
    throw new AuthorizeError('redirect_mismatch', "redirect_uri is not one of the app client's callback URLs");
  const state = single(params, 'state');
  const redirect = { uri: redirectUri, ...(state !== undefined ? { state } : {}) };

  const responseType = single(params, 'response_type', redirect);
  if (responseType === undefined) throw new AuthorizeError('invalid_request', 'response_type is required', redirect);
  if (responseType !== 'code') throw new AuthorizeError('unsupported_response_type', 'response_type must be code', redirect);
  const scopes = (single(params, 'scope', redirect) ?? 'openid').split(' ').filter((s) => s !== '');
  const unknown = scopes.find((s) => !KNOWN_SCOPES.includes(s));
  if (unknown !== undefined) throw new AuthorizeError('invalid_scope', `scope ${unknown.slice(0, 64)} is not allowed`, redirect);
  const method = single(params, 'code_challenge_method', redirect);
  const codeChallenge = single(params, 'code_challenge', redirect);
  if (codeChallenge === undefined) throw new AuthorizeError('invalid_request', 'code_challenge is required (PKCE)', redirect);
  if (method !== 'S256') throw new AuthorizeError('invalid_request', 'code_challenge_method must be S256', redirect);
  if (!/^[A-Za-z0-9_-]{43}$/.test(codeChallenge)) {
    throw new AuthorizeError('invalid_request', 'code_challenge must be the 43-character base64url SHA-256 of the verifier', redirect);
  }
  const nonce = single(params, 'nonce', redirect);
  return {
    clientId,
    redirectUri,
    scopes,
    codeChallenge,
    ...(state !== undefined ? { state } : {}),
    ...(nonce !== undefined ? { nonce } : {}),
  };
}

/** `uri` with `params` added to its query. */
export function withQuery(uri: string, params: Readonly<Record<string, string | undefined>>): string {
  const url = new URL(uri);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
  return url.toString();
}

/** A map of at most `max` entries with an expiry each; the oldest entry goes when it is full. */
export class ExpiringMap<V> {
  private readonly entries = new Map<string, { value: V; expiresAt: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly max: number,
    private readonly now: () => number,
  ) {}

  /** Stores `value` under `key` for the TTL. */
  set(key: string, value: V): void {
    const now = this.now();
    for (const [k, e] of this.entries) {
      if (e.expiresAt > now && this.entries.size < this.max) break;
      this.entries.delete(k);
    }
    this.entries.set(key, { value, expiresAt: now + this.ttlMs });
  }

  /** The live value under `key`, or undefined. */
  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  /** Removes `key` and returns what it held while live: a single use. */
  take(key: string): V | undefined {
    const value = this.get(key);
    this.entries.delete(key);
    return value;
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }
}

/** What a code was issued for. */
interface PendingCode {
  readonly clientId: string;
  readonly redirectUri: string;
  readonly codeChallenge: string;
  readonly username: string;
}

/** A token endpoint answer: status and JSON body. */
export interface TokenAnswer {
  readonly status: number;
  readonly body: Readonly<Record<string, string | number>>;
}

const tokenError = (error: string, description: string): TokenAnswer => ({ status: 400, body: { error, error_description: description } });

/**
 * The token endpoint's logic over a form body: redeems a code (single use, checked against the
 * client, `redirect_uri` and the PKCE verifier) or a refresh token. Never throws for bad input: it
 * answers the OAuth error.
 */
export async function tokenExchange(
  form: URLSearchParams,
  codes: ExpiringMap<PendingCode>,
  backend: ManagedLoginBackend,
): Promise<TokenAnswer> {
  for (const name of ['grant_type', 'client_id', 'code', 'redirect_uri', 'code_verifier', 'refresh_token']) {
    if (form.getAll(name).length > 1) return tokenError('invalid_request', `${name} is repeated`);
  }
  const grantType = form.get('grant_type');
  const clientId = form.get('client_id');
  if (!grantType) return tokenError('invalid_request', 'grant_type is required');
  if (!clientId) return tokenError('invalid_request', 'client_id is required');
  if (!backend.client(clientId)) return tokenError('invalid_client', 'client_id is not an app client of this user pool');

  if (grantType === 'authorization_code') {
    const code = form.get('code');
    const redirectUri = form.get('redirect_uri');
    const verifier = form.get('code_verifier');
    if (!code) return tokenError('invalid_request', 'code is required');
    if (!redirectUri) return tokenError('invalid_request', 'redirect_uri is required');
    if (!verifier) return tokenError('invalid_request', 'code_verifier is required (PKCE)');
    // Taken before any check: a code is spent by its first use, right or wrong.
    const pending = codes.take(code);
    if (!pending) return tokenError('invalid_grant', 'the code is unknown, expired or already used');
    if (pending.clientId !== clientId) return tokenError('invalid_grant', 'the code was issued to another client');
    if (pending.redirectUri !== redirectUri)
      return tokenError('invalid_grant', 'redirect_uri differs from the one of the authorize request');
    if (!verifyS256(verifier, pending.codeChallenge)) return tokenError('invalid_grant', 'code_verifier does not match the code_challenge');
    const tokens = await backend.issueTokens(pending.username, clientId);
    return {
      status: 200,
      body: {
        id_token: tokens.idToken,
        access_token: tokens.accessToken,
        refresh_token: tokens.refreshToken,
        expires_in: tokens.expiresIn,
        token_type: 'Bearer',
      },
    };
  }
  if (grantType === 'refresh_token') {
    const refreshToken = form.get('refresh_token');
    if (!refreshToken) return tokenError('invalid_request', 'refresh_token is required');
    const tokens = await backend.refresh(refreshToken, clientId);
    if (!tokens) return tokenError('invalid_grant', 'the refresh token is invalid, expired or revoked');
    return {
      status: 200,
      body: { id_token: tokens.idToken, access_token: tokens.accessToken, expires_in: tokens.expiresIn, token_type: 'Bearer' },
    };
  }
  return tokenError('unsupported_grant_type', 'grant_type must be authorization_code or refresh_token');
}

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

/** The sign-in page: the authorize parameters and the CSRF token as hidden fields, an optional error. */
export function loginPage(params: URLSearchParams, csrf: string, error?: string, email = ''): string {
  const hidden = AUTHORIZE_PARAMS.filter((name) => params.get(name) !== null)
    .map((name) => `<input type="hidden" name="${name}" value="${escapeHtml(params.get(name) ?? '')}">`)
    .join('\n      ');
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Sign in</title>
    <style>
      body { font-family: system-ui, sans-serif; background: #0f1726; color: #d6deeb; display: grid; place-items: center; min-height: 100vh; margin: 0; }
      form { background: #17223a; padding: 2rem; border-radius: 8px; width: 20rem; display: grid; gap: .75rem; }
      input[type=email], input[type=password] { padding: .5rem; border-radius: 4px; border: 1px solid #3a4a6b; background: #0f1726; color: inherit; }
      button { padding: .6rem; border: 0; border-radius: 4px; background: #4fc3f7; color: #0f1726; font-weight: 600; cursor: pointer; }
      .error { color: #ff8a80; margin: 0; }
    </style>
  </head>
  <body>
    <form method="post" action="/login" id="signin">
      <h1>Sign in</h1>
      ${error ? `<p class="error" id="signin-error" role="alert">${escapeHtml(error)}</p>` : ''}
      <label for="username">Email</label>
      <input type="email" id="username" name="username" autocomplete="username" required value="${escapeHtml(email)}">
      <label for="password">Password</label>
      <input type="password" id="password" name="password" autocomplete="current-password" required>
      <input type="hidden" name="_csrf" value="${escapeHtml(csrf)}">
      ${hidden}
      <button type="submit" name="signInSubmitButton">Sign in</button>
    </form>
  </body>
</html>
`;
}

/** An error page for what cannot be redirected (bad client, bad redirect_uri or logout_uri). */
function errorPage(error: OAuthError): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Error</title></head>
<body><h1>An error was encountered with the requested page.</h1><p id="error">${escapeHtml(error.error)}: ${escapeHtml(error.description)}</p></body></html>
`;
}

/** The cookies of a request. */
export function cookiesOf(req: http.IncomingMessage): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0) out.set(part.slice(0, i).trim(), part.slice(i + 1).trim());
  }
  return out;
}

const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};
const CORS_HEADERS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'POST, OPTIONS',
  'access-control-allow-headers': 'content-type, authorization',
  'access-control-max-age': '600',
};

function sendPage(res: http.ServerResponse, status: number, html: string, cookies: string[] = []): void {
  res.writeHead(status, { ...PAGE_HEADERS, ...(cookies.length > 0 ? { 'set-cookie': cookies } : {}) });
  res.end(html);
}

function redirect(res: http.ServerResponse, location: string, cookies: string[] = []): void {
  res.writeHead(302, { location, 'cache-control': 'no-store', ...(cookies.length > 0 ? { 'set-cookie': cookies } : {}) });
  res.end();
}

/** Reads a form-encoded body of at most {@link MAX_BODY_BYTES}; rejects with an OAuthError otherwise. */
function readForm(req: http.IncomingMessage): Promise<URLSearchParams> {
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') {
    req.resume();
    return Promise.reject(new OAuthError('invalid_request', 'the body must be application/x-www-form-urlencoded'));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new OAuthError('invalid_request', `the body is larger than ${MAX_BODY_BYTES} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(new URLSearchParams(Buffer.concat(chunks).toString('utf8'))));
    req.on('error', reject);
  });
}

/**
 * Serves GET /oauth2/authorize (login form), POST /login, POST /oauth2/token (authorization_code with
 * PKCE S256, refresh_token), GET /logout, as Cognito managed login documents them. Resolves false when
 * the path is not one of these.
 */
export function managedLoginHandler(
  backend: ManagedLoginBackend,
  options: ManagedLoginOptions = {},
): (req: http.IncomingMessage, res: http.ServerResponse) => Promise<boolean> {
  const now = options.now ?? Date.now;
  const codes = new ExpiringMap<PendingCode>(CODE_TTL_MS, MAX_PENDING, now);
  const sessions = new ExpiringMap<string>(SESSION_TTL_MS, MAX_PENDING, now);
  const sessionCookie = (id: string): string => `${SESSION_COOKIE}=${id}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${SESSION_TTL_MS / 1000}`;
  const clearSession = `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0`;

  /** Issues a code for the signed-in user and redirects to the callback with it. */
  const issueCode = (res: http.ServerResponse, request: AuthorizeRequest, username: string, cookies: string[] = []): void => {
    const code = randomToken();
    codes.set(code, { clientId: request.clientId, redirectUri: request.redirectUri, codeChallenge: request.codeChallenge, username });
    redirect(res, withQuery(request.redirectUri, { code, state: request.state }), cookies);
  };

  /** Shows the failure of an authorize request: on a page, or redirected to the checked callback. */
  const authorizeFailed = (res: http.ServerResponse, error: unknown): void => {
    if (error instanceof AuthorizeError && error.redirect) {
      redirect(
        res,
        withQuery(error.redirect.uri, { error: error.error, error_description: error.description, state: error.redirect.state }),
      );
    } else if (error instanceof OAuthError) {
      sendPage(res, 400, errorPage(error));
    } else {
      throw error;
    }
  };

  const showLogin = (res: http.ServerResponse, params: URLSearchParams, status = 200, error?: string, email?: string): void => {
    const csrf = randomToken(16);
    sendPage(res, status, loginPage(params, csrf, error, email), [`${CSRF_COOKIE}=${csrf}; Path=/; HttpOnly; SameSite=Lax`]);
  };

  const authorize = (req: http.IncomingMessage, res: http.ServerResponse, url: URL): void => {
    let request: AuthorizeRequest;
    try {
      request = parseAuthorizeRequest(url.searchParams, backend);
    } catch (error) {
      authorizeFailed(res, error);
      return;
    }
    const sessionId = cookiesOf(req).get(SESSION_COOKIE);
    const username = sessionId ? sessions.get(sessionId) : undefined;
    if (username !== undefined && url.searchParams.get('prompt') !== 'login') {
      issueCode(res, request, username);
      return;
    }
    const query = new URLSearchParams();
    for (const name of AUTHORIZE_PARAMS) {
      const value = url.searchParams.get(name);
      if (value !== null) query.set(name, value);
    }
    redirect(res, `/login?${query.toString()}`);
  };

  const loginForm = (res: http.ServerResponse, url: URL): void => {
    try {
      parseAuthorizeRequest(url.searchParams, backend);
    } catch (error) {
      authorizeFailed(res, error);
      return;
    }
    showLogin(res, url.searchParams);
  };

  const login = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    let form: URLSearchParams;
    try {
      form = await readForm(req);
    } catch (error) {
      if (error instanceof OAuthError) sendPage(res, 400, errorPage(error));
      else throw error;
      return;
    }
    let request: AuthorizeRequest;
    try {
      request = parseAuthorizeRequest(form, backend);
    } catch (error) {
      authorizeFailed(res, error);
      return;
    }
    const csrf = cookiesOf(req).get(CSRF_COOKIE);
    const sent = form.get('_csrf') ?? '';
    if (!csrf || csrf.length !== sent.length || !timingSafeEqual(Buffer.from(csrf), Buffer.from(sent))) {
      showLogin(res, form, 403, 'Your sign-in form expired. Please try again.');
      return;
    }
    const email = (form.get('username') ?? '').trim().slice(0, 256);
    const password = (form.get('password') ?? '').slice(0, 256);
    if (email === '' || password === '') {
      showLogin(res, form, 400, 'Enter your email and your password.', email);
      return;
    }
    const result = await backend.authenticate(email, password);
    if (!result.ok) {
      showLogin(res, form, 400, result.reason, email);
      return;
    }
    const sessionId = randomToken();
    sessions.set(sessionId, result.username);
    issueCode(res, request, result.username, [sessionCookie(sessionId), `${CSRF_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0`]);
  };

  const token = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const send = (answer: TokenAnswer): void => {
      res.writeHead(answer.status, {
        'content-type': 'application/json;charset=UTF-8',
        'cache-control': 'no-store',
        pragma: 'no-cache',
        ...CORS_HEADERS,
      });
      res.end(JSON.stringify(answer.body));
    };
    let form: URLSearchParams;
    try {
      form = await readForm(req);
    } catch (error) {
      if (error instanceof OAuthError) send(tokenError(error.error, error.description));
      else throw error;
      return;
    }
    send(await tokenExchange(form, codes, backend));
  };

  const logout = (req: http.IncomingMessage, res: http.ServerResponse, url: URL): void => {
    const params = url.searchParams;
    const clientId = params.get('client_id') ?? '';
    const client = clientId ? backend.client(clientId) : undefined;
    if (!client) {
      sendPage(res, 400, errorPage(new OAuthError('invalid_request', 'client_id is missing or not an app client of this user pool')));
      return;
    }
    const logoutUri = params.get('logout_uri');
    let target: string;
    if (logoutUri !== null) {
      if (!client.logoutUrls.includes(logoutUri)) {
        sendPage(res, 400, errorPage(new OAuthError('invalid_request', "logout_uri is not one of the app client's sign-out URLs")));
        return;
      }
      target = logoutUri;
    } else {
      // The other documented form: sign out, then sign in again (the authorize parameters are checked there).
      try {
        parseAuthorizeRequest(params, backend);
      } catch (error) {
        authorizeFailed(res, error);
        return;
      }
      const query = new URLSearchParams();
      for (const name of AUTHORIZE_PARAMS) {
        const value = params.get(name);
        if (value !== null) query.set(name, value);
      }
      target = `/login?${query.toString()}`;
    }
    const sessionId = cookiesOf(req).get(SESSION_COOKIE);
    if (sessionId) sessions.delete(sessionId);
    redirect(res, target, [clearSession]);
  };

  return async (req, res) => {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://managed-login.local');
    } catch {
      return false;
    }
    const method = req.method ?? 'GET';
    const route = `${method} ${url.pathname}`;
    switch (route) {
      case 'GET /oauth2/authorize':
        authorize(req, res, url);
        return true;
      case 'GET /login':
        loginForm(res, url);
        return true;
      case 'POST /login':
        await login(req, res);
        return true;
      case 'POST /oauth2/token':
        await token(req, res);
        return true;
      case 'OPTIONS /oauth2/token':
        res.writeHead(204, CORS_HEADERS);
        res.end();
        return true;
      case 'GET /logout':
        logout(req, res, url);
        return true;
      default:
        return false;
    }
  };
}
