import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'crypto';

/** One RSA signing key of a user pool: its key id and private key. */
export interface SigningKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
}

/** A JSON Web Key as a JWKS lists it (RSA public key). */
export interface PublicJwk {
  readonly kid: string;
  readonly alg: 'RS256';
  readonly kty: 'RSA';
  readonly use: 'sig';
  readonly n: string;
  readonly e: string;
}

/** A fresh 2048-bit RSA signing key (the size Cognito's keys have). */
export function generateSigningKey(kid: string): SigningKey {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { kid, privateKey };
}

/** The key as PEM (PKCS#8), to keep it across restarts. */
export function exportSigningKey(key: SigningKey): { kid: string; pem: string } {
  return { kid: key.kid, pem: key.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
}

/** A key read back from {@link exportSigningKey}'s form; throws when the PEM is not a private key. */
export function importSigningKey(saved: { kid: string; pem: string }): SigningKey {
  return { kid: saved.kid, privateKey: createPrivateKey(saved.pem) };
}

/** The public half of `key` as a JWK. */
export function publicJwk(key: SigningKey): PublicJwk {
  const jwk = createPublicKey(key.privateKey).export({ format: 'jwk' });
  if (typeof jwk.n !== 'string' || typeof jwk.e !== 'string') throw new Error('not an RSA key');
  return { kid: key.kid, alg: 'RS256', kty: 'RSA', use: 'sig', n: jwk.n, e: jwk.e };
}

const b64url = (data: Buffer | string): string => Buffer.from(data).toString('base64url');

/** A compact JWS (RS256) of `claims` with `kid` in its header. */
export function signJwt(claims: Readonly<Record<string, unknown>>, key: SigningKey): string {
  const header = b64url(JSON.stringify({ kid: key.kid, alg: 'RS256' }));
  const payload = b64url(JSON.stringify(claims));
  const signature = sign('RSA-SHA256', Buffer.from(`${header}.${payload}`), key.privateKey);
  return `${header}.${payload}.${b64url(signature)}`;
}

/** The claims of a compact JWT, unverified; undefined when it is not one. Never throws. */
export function decodeJwtClaims(token: string): Record<string, unknown> | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as unknown;
    return typeof claims === 'object' && claims !== null && !Array.isArray(claims) ? (claims as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
