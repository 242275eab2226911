import { JwtRsaVerifier } from 'aws-jwt-verify';
import { JwtExpiredError } from 'aws-jwt-verify/error';
import type { Fetcher } from 'aws-jwt-verify/https';
import { SimpleJwksCache } from 'aws-jwt-verify/jwk';
import type { CognitoAuthorizerModel } from './proxy';
import type { AuthorizerVerdict, CognitoTokenCheck } from './server';

/** A user pool a local authorizer may accept tokens of: its issuer and its app clients. */
export interface LocalUserPoolIssuer {
  readonly arn: string;
  /** `<cognito endpoint>/<poolId>`: the tokens' `iss`; the JWKS is at `<issuer>/.well-known/jwks.json`. */
  readonly issuer: string;
  readonly clientIds: readonly string[];
}

/** Fetches the JWKS from the loopback Cognito stand-in (aws-jwt-verify's own fetcher speaks HTTPS only). */
const loopbackFetcher: Fetcher = {
  fetch: async (uri) => {
    const response = await fetch(uri, { signal: AbortSignal.timeout(3000) });
    if (response.status !== 200) throw new Error(`${uri}: status ${response.status}, expected 200`);
    return response.arrayBuffer();
  },
};

/** Formats a claim as API Gateway passes it on: lists joined with commas, `exp`/`iat` as dates, the rest as text. */
function claimText(name: string, value: unknown): string {
  if (Array.isArray(value)) return value.map(String).join(',');
  if ((name === 'exp' || name === 'iat') && typeof value === 'number') {
    // e.g. "Fri Jul 29 18:52:53 UTC 2016"
    const d = new Date(value * 1000);
    const [weekday, day, month, year, time] = d.toUTCString().replace(',', '').split(' ');
    return `${weekday} ${month} ${day} ${time} UTC ${year}`;
  }
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * The token check of API Gateway's Cognito user pools authorizer, over the local pools (with
 * aws-jwt-verify): an RS256 signature by a key of the pool's JWKS, `iss` = the pool, `token_use`
 * = `id` (a method without OAuth scopes takes ID tokens only), `aud` = one of the pool's app
 * clients, and not expired. Never throws: anything else is `invalid`.
 */
export function cognitoTokenCheck(pools: readonly LocalUserPoolIssuer[]): CognitoTokenCheck {
  const jwksCache = new SimpleJwksCache({ fetcher: loopbackFetcher });
  const verifiers = new Map<string, ReturnType<typeof makeVerifier>>();
  const makeVerifier = (pool: LocalUserPoolIssuer) =>
    JwtRsaVerifier.create(
      {
        issuer: pool.issuer,
        audience: pool.clientIds.length > 0 ? [...pool.clientIds] : ['(no app client)'],
        jwksUri: `${pool.issuer}/.well-known/jwks.json`,
        customJwtCheck: ({ payload }) => {
          if (payload.token_use !== 'id') throw new Error(`token_use is ${String(payload.token_use)}, not id`);
        },
      },
      { jwksCache },
    );
  return async (authorizer: CognitoAuthorizerModel, token: string): Promise<AuthorizerVerdict> => {
    let expired = false;
    for (const arn of authorizer.providerArns) {
      const pool = pools.find((p) => p.arn === arn);
      if (!pool) continue;
      let verifier = verifiers.get(arn);
      if (!verifier) {
        verifier = makeVerifier(pool);
        verifiers.set(arn, verifier);
      }
      try {
        const payload = await verifier.verify(token);
        return { ok: true, claims: Object.fromEntries(Object.entries(payload).map(([name, value]) => [name, claimText(name, value)])) };
      } catch (error) {
        // Any failure refuses the token; only an expired one gets API Gateway's own message.
        if (error instanceof JwtExpiredError) expired = true;
      }
    }
    return { ok: false, reason: expired ? 'expired' : 'invalid' };
  };
}
