/**
 * Who may read what: the role × route table of the read API, enforced by the query Lambda from
 * the `cognito:groups` claim API Gateway's Cognito authorizer passes on. Pure; the same table is
 * written out in docs/security.md and checked route by route by the tests.
 */

/** The people's roles: the Cognito user pool's groups, named exactly so. */
export const ROLES = ['admin', 'operator', 'developer', 'analyst'] as const;
export type Role = (typeof ROLES)[number];

/** The read routes, by API Gateway resource path. */
export const READ_ROUTES = ['/v1/alerts', '/v1/metrics', '/v1/paths', '/v1/paths.csv', '/v1/reports', '/v1/reports/{name}'] as const;
export type ReadRoute = (typeof READ_ROUTES)[number];

/** What a role gets on a route: nothing (403), the full answer, or alerts without personal data. */
export type Grant = 'deny' | 'full' | 'masked';

/**
 * The table. Admins read everything; operators run the system (alerts and metrics); developers
 * debug the pipeline (alerts, metrics, paths); analysts read the business figures (metrics, paths,
 * reports) and alerts with `userId` and `errorMsg` removed.
 */
export const ACCESS: Readonly<Record<ReadRoute, Readonly<Record<Role, Grant>>>> = {
  '/v1/alerts': { admin: 'full', operator: 'full', developer: 'full', analyst: 'masked' },
  '/v1/metrics': { admin: 'full', operator: 'full', developer: 'full', analyst: 'full' },
  '/v1/paths': { admin: 'full', operator: 'deny', developer: 'full', analyst: 'full' },
  '/v1/paths.csv': { admin: 'full', operator: 'deny', developer: 'full', analyst: 'full' },
  '/v1/reports': { admin: 'full', operator: 'deny', developer: 'deny', analyst: 'full' },
  '/v1/reports/{name}': { admin: 'full', operator: 'deny', developer: 'deny', analyst: 'full' },
};

const RANK: Readonly<Record<Grant, number>> = { deny: 0, masked: 1, full: 2 };

/** Longest `cognito:groups` claim read (characters) and most groups taken from it. */
const MAX_GROUPS_CLAIM = 4096;
const MAX_GROUPS = 25;

/**
 * The roles named by a `cognito:groups` claim as API Gateway passes it (every claim a string:
 * `admin`, `admin,analyst` or `[admin analyst]`), or as a JSON array. Unknown group names are
 * ignored; anything else (absent, not a string) gives no role. Never throws.
 */
export function rolesFromGroupsClaim(claim: unknown): Role[] {
  const names: unknown[] = Array.isArray(claim)
    ? claim.slice(0, MAX_GROUPS)
    : typeof claim === 'string'
      ? claim
          .slice(0, MAX_GROUPS_CLAIM)
          .replace(/^\[|\]$/g, '')
          .split(/[\s,]+/)
          .slice(0, MAX_GROUPS)
      : [];
  const roles = new Set<Role>();
  for (const name of names) {
    if (typeof name === 'string' && (ROLES as readonly string[]).includes(name)) roles.add(name as Role);
  }
  return [...roles];
}

/** The widest grant any of `roles` has on `route` (`deny` for no role). */
export function grantFor(route: ReadRoute, roles: readonly Role[]): Grant {
  let best: Grant = 'deny';
  for (const role of roles) {
    const grant = ACCESS[route][role];
    if (RANK[grant] > RANK[best]) best = grant;
  }
  return best;
}

/** The alert fields an analyst does not see: personal data (`userId`) and free text that may hold it (`errorMsg`). */
export const MASKED_ALERT_FIELDS = ['userId', 'errorMsg'] as const;

/** A copy of `alert` without the masked fields. */
export function maskAlert<T extends object>(alert: T): Omit<T, (typeof MASKED_ALERT_FIELDS)[number]> {
  const copy = { ...alert } as Record<string, unknown>;
  for (const field of MASKED_ALERT_FIELDS) delete copy[field];
  return copy as Omit<T, (typeof MASKED_ALERT_FIELDS)[number]>;
}
