/**
 * The pure parts of the dashboard's sign-in (Cognito managed login, authorization code flow with
 * PKCE S256): the verifier and challenge, the authorize / token / logout requests, the token
 * endpoint's answer, the ID token's claims (who is signed in, their role) and when to refresh. The
 * browser side (redirects, storage, timers) is signin.ts. See docs/security.md, "Dashboard sign-in".
 */

/** The `auth` part of config.json. */
export interface AuthConfig {
  /** Base URL of the managed login domain (no trailing slash). */
  readonly domain: string;
  readonly clientId: string;
  readonly scopes: readonly string[];
}

/** The roles, from the most to the least privileged: the user pool's group names. */
export const ROLES = ['admin', 'operator', 'developer', 'analyst'] as const;
export type Role = (typeof ROLES)[number];

/** What the page knows about the signed-in user, from the ID token. */
export interface Identity {
  readonly email: string;
  /** The most privileged known role among `cognito:groups`, or undefined when it names none. */
  readonly role: Role | undefined;
  readonly groups: readonly string[];
  /** Expiry and issue time of the ID token (epoch seconds). */
  readonly exp: number;
  readonly iat: number;
}

/** Tokens from the token endpoint. */
export interface TokenSet {
  readonly idToken: string;
  readonly accessToken: string;
  /** Absent in a refresh answer: the refresh token stays the same. */
  readonly refreshToken?: string;
  readonly expiresIn: number;
}

/** The sign-in in flight across the redirect: kept in sessionStorage until the callback. */
export interface PendingSignIn {
  readonly state: string;
  readonly verifier: string;
  /** The address's query and fragment to restore after the callback (`?date=…#reports`). */
  readonly returnTo: string;
}

/** What the callback address carries. */
export type Callback =
  | { readonly kind: 'code'; readonly code: string; readonly state: string }
  | { readonly kind: 'error'; readonly error: string; readonly description: string; readonly state: string }
  | { readonly kind: 'none' };

/** A failure of the sign-in, with what the page tells the user. */
export class SignInError extends Error {
  constructor(
    message: string,
    /** `invalid_grant` and friends: the refresh token or code is no good, sign in again. */
    readonly oauthError?: string,
  ) {
    super(message);
    this.name = 'SignInError';
  }
}

/** base64url without padding of bytes. */
export function base64Url(bytes: Uint8Array): string {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** A random base64url string of `bytes` random bytes (32 bytes: a 43-character PKCE verifier). */
export function randomString(bytes = 32, random: (array: Uint8Array) => Uint8Array = (a) => crypto.getRandomValues(a)): string {
  return base64Url(random(new Uint8Array(bytes)));
}

/** The S256 challenge of a verifier: BASE64URL(SHA-256(verifier)) (RFC 7636 §4.2). */
export async function challengeOf(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return base64Url(new Uint8Array(digest));
}

/** The managed login's authorize address for a sign-in. */
export function authorizeUrl(auth: AuthConfig, redirectUri: string, state: string, challenge: string): string {
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: auth.clientId,
    redirect_uri: redirectUri,
    scope: auth.scopes.join(' '),
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });
  return `${auth.domain}/oauth2/authorize?${query.toString()}`;
}

/** The managed login's sign-out address, coming back to `logoutUri`. */
export function logoutUrl(auth: AuthConfig, logoutUri: string): string {
  return `${auth.domain}/logout?${new URLSearchParams({ client_id: auth.clientId, logout_uri: logoutUri }).toString()}`;
}

/** The token endpoint's form for a code. */
export function codeExchangeBody(auth: AuthConfig, code: string, redirectUri: string, verifier: string): URLSearchParams {
  return new URLSearchParams({
    grant_type: 'authorization_code',
    client_id: auth.clientId,
    code,
    redirect_uri: redirectUri,
    code_verifier: verifier,
  });
}

/** The token endpoint's form for a refresh. */
export function refreshBody(auth: AuthConfig, refreshToken: string): URLSearchParams {
  return new URLSearchParams({ grant_type: 'refresh_token', client_id: auth.clientId, refresh_token: refreshToken });
}

/** The code or error of a callback address's query (both need `state`). */
export function parseCallback(search: string): Callback {
  const q = new URLSearchParams(search);
  const state = q.get('state') ?? '';
  const code = q.get('code');
  const error = q.get('error');
  if (code !== null) return { kind: 'code', code, state };
  if (error !== null) return { kind: 'error', error, description: q.get('error_description') ?? '', state };
  return { kind: 'none' };
}

/** The query without the callback's parameters, and the fragment: what the address shows after sign-in. */
export function withoutCallbackParams(search: string): string {
  const q = new URLSearchParams(search);
  for (const name of ['code', 'state', 'error', 'error_description']) q.delete(name);
  const rest = q.toString();
  return rest ? `?${rest}` : '';
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Reads the token endpoint's answer (status and JSON body); throws a SignInError naming what is wrong. */
export function parseTokenAnswer(status: number, body: unknown): TokenSet {
  if (status !== 200) {
    const error = isRecord(body) && typeof body.error === 'string' ? body.error : undefined;
    const description = isRecord(body) && typeof body.error_description === 'string' ? `: ${body.error_description}` : '';
    throw new SignInError(`the sign-in service refused (${error ?? `HTTP ${status}`}${description})`, error ?? `http_${status}`);
  }
  if (!isRecord(body)) throw new SignInError('the sign-in service answered something that is not a JSON object');
  const { id_token: idToken, access_token: accessToken, refresh_token: refreshToken, expires_in: expiresIn } = body;
  if (typeof idToken !== 'string' || idToken === '') throw new SignInError('the sign-in service answered without id_token');
  if (typeof accessToken !== 'string' || accessToken === '') throw new SignInError('the sign-in service answered without access_token');
  if (typeof expiresIn !== 'number' || !Number.isFinite(expiresIn) || expiresIn <= 0) {
    throw new SignInError('the sign-in service answered without a positive expires_in');
  }
  return { idToken, accessToken, expiresIn, ...(typeof refreshToken === 'string' && refreshToken !== '' ? { refreshToken } : {}) };
}

/** The JSON payload of a JWT, not verified (the API verifies every token it is sent); throws on a malformed token. */
export function jwtPayload(token: string): Record<string, unknown> {
  const parts = token.split('.');
  if (parts.length !== 3) throw new SignInError('the ID token is not a JWT');
  let json: unknown;
  try {
    const b64 = parts[1].replace(/-/g, '+').replace(/_/g, '/');
    const binary = atob(b64.padEnd(Math.ceil(b64.length / 4) * 4, '='));
    json = JSON.parse(new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0))));
  } catch {
    throw new SignInError('the ID token payload is not base64url JSON');
  }
  if (!isRecord(json)) throw new SignInError('the ID token payload is not a JSON object');
  return json;
}

/** The most privileged role the groups name, or undefined. */
export function roleOf(groups: readonly string[]): Role | undefined {
  return ROLES.find((role) => groups.includes(role));
}

/** Who the ID token names: e-mail (or username), groups and role, expiry; throws a SignInError on a malformed token. */
export function identityOf(idToken: string): Identity {
  const claims = jwtPayload(idToken);
  if (claims.token_use !== undefined && claims.token_use !== 'id') throw new SignInError('the token is not an ID token');
  const exp = claims.exp;
  if (typeof exp !== 'number' || !Number.isFinite(exp)) throw new SignInError('the ID token has no exp');
  const iat = typeof claims.iat === 'number' && Number.isFinite(claims.iat) ? claims.iat : exp - 3600;
  const rawGroups = claims['cognito:groups'];
  const groups = Array.isArray(rawGroups) ? rawGroups.filter((g): g is string => typeof g === 'string').slice(0, 25) : [];
  const name = [claims.email, claims['cognito:username'], claims.sub].find((v): v is string => typeof v === 'string' && v !== '');
  return { email: (name ?? 'unknown user').slice(0, 256), groups, role: roleOf(groups), exp, iat };
}

/** Refresh this long before expiry, or at half the token's lifetime when that is sooner. */
export const REFRESH_MARGIN_S = 5 * 60;

/**
 * How long to wait before refreshing a token issued at `iat` that expires at `exp` (epoch seconds),
 * at `nowMs`: until `min(5 min, lifetime / 2)` before expiry; 0 when that moment has passed.
 */
export function refreshDelayMs(iat: number, exp: number, nowMs: number): number {
  const margin = Math.min(REFRESH_MARGIN_S, Math.max(0, exp - iat) / 2);
  return Math.max(0, Math.round((exp - margin) * 1000 - nowMs));
}

/** True when the token has expired at `nowMs` (with `skewS` seconds of clock skew allowed against us). */
export function isExpired(exp: number, nowMs: number, skewS = 30): boolean {
  return nowMs >= (exp - skewS) * 1000;
}

/** Reads and checks the `auth` part of config.json; throws an Error naming the bad field. */
export function parseAuthConfig(raw: unknown): AuthConfig {
  if (!isRecord(raw)) throw new Error('config.json: "auth" must be an object { domain, clientId, scopes }');
  const domain = raw.domain;
  if (typeof domain !== 'string' || !/^https?:\/\/[^/?#]+$/.test(domain.replace(/\/+$/, ''))) {
    throw new Error('config.json: "auth.domain" must be the base URL of the sign-in domain (http(s)://host[:port])');
  }
  if (typeof raw.clientId !== 'string' || !/^[\w+]{1,128}$/.test(raw.clientId))
    throw new Error('config.json: "auth.clientId" must be an app client id');
  const scopes = raw.scopes === undefined ? ['openid'] : raw.scopes;
  if (
    !Array.isArray(scopes) ||
    scopes.length === 0 ||
    !scopes.every((s): s is string => typeof s === 'string' && /^[\w.:/-]{1,256}$/.test(s))
  ) {
    throw new Error('config.json: "auth.scopes" must be a non-empty list of scope names');
  }
  if (!scopes.includes('openid')) throw new Error('config.json: "auth.scopes" must include openid (the ID token)');
  return { domain: domain.replace(/\/+$/, ''), clientId: raw.clientId, scopes };
}
