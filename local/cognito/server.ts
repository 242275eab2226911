import * as fs from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import { exportSigningKey, generateSigningKey, importSigningKey, publicJwk, type SigningKey } from './jwt';
import type { UserPoolSpec } from './template';
import { CognitoError, LocalUserPool, type UserPoolState } from './user-pool';

import type { ManagedLoginBackend } from './managed-login';

export type { ManagedLoginBackend };

/** Serves paths beyond the API and the JWKS (the managed-login pages); resolves false for a path it does not serve. */
export type ExtraHandler = (req: http.IncomingMessage, res: http.ServerResponse) => Promise<boolean>;

export interface LocalCognitoOptions {
  readonly port: number;
  readonly pools: readonly UserPoolSpec[];
  /** Signing key and users are kept here (JSON) and read back on the next start. @default - kept in memory only */
  readonly stateFile?: string;
  /** @default 127.0.0.1 */
  readonly host?: string;
  /** Clock (ms since the epoch), for token times. @default Date.now */
  readonly now?: () => number;
}

/** A running Cognito stand-in. */
export interface RunningCognito {
  /** `http://127.0.0.1:<port>`: the cognito-idp endpoint; each pool's issuer is `<endpoint>/<poolId>`. */
  readonly endpoint: string;
  readonly port: number;
  readonly pools: ReadonlyMap<string, LocalUserPool>;
  /** The managed-login backend over the first pool (the stage's people). */
  readonly loginBackend?: ManagedLoginBackend;
  /** Serves `handler`'s paths too (the managed-login pages), after the API and the JWKS. */
  mount(handler: ExtraHandler): void;
  stop(): Promise<void>;
}

interface PersistedState {
  readonly key: { kid: string; pem: string };
  readonly pools: Record<string, UserPoolState>;
}

const TARGET_PREFIX = 'AWSCognitoIdentityProviderService.';
/** Largest API request body taken. */
const MAX_BODY_BYTES = 1024 * 1024;
/** Users per page of ListUsers / ListUsersInGroup (Cognito's limit is 60). */
const PAGE_LIMIT = 60;

function readBody(req: http.IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: http.ServerResponse, status: number, body: unknown, contentType = 'application/x-amz-json-1.1'): void {
  res.writeHead(status, { 'content-type': contentType });
  res.end(JSON.stringify(body));
}

const asRecord = (value: unknown): Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};

function attributesOf(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!Array.isArray(value)) return out;
  for (const entry of value.slice(0, 50)) {
    const { Name, Value } = asRecord(entry);
    if (typeof Name === 'string' && typeof Value === 'string') out[Name] = Value;
  }
  return out;
}

/** One page of `items` from the `PaginationToken` (an offset) with `Limit` (1..60). */
function page<T>(items: readonly T[], input: Record<string, unknown>): { items: T[]; next?: string } {
  const limit = typeof input.Limit === 'number' && input.Limit >= 1 && input.Limit <= PAGE_LIMIT ? input.Limit : PAGE_LIMIT;
  const start = typeof input.PaginationToken === 'string' ? Number.parseInt(input.PaginationToken, 10) || 0 : 0;
  const slice = items.slice(start, start + limit);
  return { items: slice, ...(start + limit < items.length ? { next: String(start + limit) } : {}) };
}

/** `email = "x"` / `email ^= "x"` filters of ListUsers (other attributes the same way). */
function userFilter(filter: unknown): ((attributes: Record<string, string>) => boolean) | undefined {
  if (typeof filter !== 'string' || filter.trim() === '') return undefined;
  const match = /^\s*([\w:]+)\s*(\^?=)\s*"([^"]*)"\s*$/.exec(filter);
  if (!match) throw new CognitoError('InvalidParameterException', `Invalid filter: ${filter.slice(0, 100)}`);
  const [, name, op, value] = match;
  return (attributes) => {
    const actual = attributes[name] ?? '';
    return op === '=' ? actual === value : actual.startsWith(value);
  };
}

/**
 * Starts the Cognito stand-in on loopback: the cognito-idp JSON API (InitiateAuth with
 * USER_PASSWORD_AUTH and REFRESH_TOKEN_AUTH, RespondToAuthChallenge NEW_PASSWORD_REQUIRED,
 * AdminCreateUser, AdminSetUserPassword, AdminAddUserToGroup, AdminRemoveUserFromGroup,
 * AdminListGroupsForUser, AdminGetUser, AdminDeleteUser, ListUsers, ListUsersInGroup, ListGroups)
 * for the pools the templates declare, each pool's JWKS at `/<poolId>/.well-known/jwks.json` and
 * its OpenID configuration. Rejects if the port is taken.
 */
export async function startCognito(options: LocalCognitoOptions): Promise<RunningCognito> {
  const host = options.host ?? '127.0.0.1';
  const saved =
    options.stateFile !== undefined && fs.existsSync(options.stateFile)
      ? (JSON.parse(fs.readFileSync(options.stateFile, 'utf8')) as PersistedState)
      : undefined;
  const key: SigningKey = saved ? importSigningKey(saved.key) : generateSigningKey(`local-${Date.now().toString(36)}`);
  const pools = new Map<string, LocalUserPool>();
  const persist = () => {
    if (options.stateFile === undefined) return;
    const state: PersistedState = {
      key: exportSigningKey(key),
      pools: Object.fromEntries([...pools].map(([id, pool]) => [id, pool.state()])),
    };
    fs.writeFileSync(options.stateFile, JSON.stringify(state));
  };
  const extra: ExtraHandler[] = [];

  const server = http.createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, { __type: 'InternalErrorException', message: (error as Error).message });
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const endpoint = `http://${host}:${port}`;
  for (const spec of options.pools) {
    pools.set(
      spec.userPoolId,
      new LocalUserPool(spec, endpoint, key, { now: options.now, onChange: persist, state: saved?.pools[spec.userPoolId] }),
    );
  }
  persist();

  const poolOf = (id: unknown): LocalUserPool => {
    const pool = typeof id === 'string' ? pools.get(id) : undefined;
    if (!pool) throw new CognitoError('ResourceNotFoundException', `User pool ${String(id)} does not exist.`);
    return pool;
  };
  const poolOfClient = (clientId: unknown): LocalUserPool => {
    const pool = [...pools.values()].find((p) => typeof clientId === 'string' && p.client(clientId) !== undefined);
    if (!pool) throw new CognitoError('ResourceNotFoundException', `User pool client ${String(clientId)} does not exist.`);
    return pool;
  };

  /** One API operation; returns the answer body or throws CognitoError. */
  const operation = (name: string, input: Record<string, unknown>): unknown => {
    switch (name) {
      case 'InitiateAuth':
        return poolOfClient(input.ClientId).initiateAuth(input.ClientId, input.AuthFlow, asRecord(input.AuthParameters));
      case 'RespondToAuthChallenge': {
        if (input.ChallengeName !== 'NEW_PASSWORD_REQUIRED') {
          throw new CognitoError(
            'InvalidParameterException',
            `ChallengeName ${String(input.ChallengeName)} is not supported by the local user pool`,
          );
        }
        const responses = asRecord(input.ChallengeResponses);
        const result = poolOfClient(input.ClientId).respondNewPassword(
          input.ClientId,
          input.Session,
          responses.USERNAME,
          responses.NEW_PASSWORD,
        );
        return { AuthenticationResult: result, ChallengeParameters: {} };
      }
      case 'AdminCreateUser': {
        const pool = poolOf(input.UserPoolId);
        const user = pool.adminCreateUser(
          input.Username,
          attributesOf(input.UserAttributes),
          typeof input.TemporaryPassword === 'string' ? input.TemporaryPassword : undefined,
        );
        return { User: pool.userType(user) };
      }
      case 'AdminSetUserPassword':
        poolOf(input.UserPoolId).adminSetUserPassword(input.Username, input.Password, input.Permanent === true);
        return {};
      case 'AdminAddUserToGroup':
      case 'AdminRemoveUserFromGroup':
        poolOf(input.UserPoolId).adminSetGroup(input.Username, input.GroupName, name === 'AdminAddUserToGroup');
        return {};
      case 'AdminListGroupsForUser': {
        const pool = poolOf(input.UserPoolId);
        const user = pool.adminGetUser(input.Username);
        const groups = pool.spec.groups.filter((g) => user.groups.includes(g.groupName));
        return {
          Groups: groups.map((g) => ({
            GroupName: g.groupName,
            UserPoolId: pool.spec.userPoolId,
            Description: g.description,
            Precedence: g.precedence,
          })),
        };
      }
      case 'AdminGetUser': {
        const pool = poolOf(input.UserPoolId);
        const { Attributes, ...rest } = pool.userType(pool.adminGetUser(input.Username));
        return { ...rest, UserAttributes: Attributes };
      }
      case 'AdminDeleteUser':
        poolOf(input.UserPoolId).adminDeleteUser(input.Username);
        return {};
      case 'ListUsers': {
        const pool = poolOf(input.UserPoolId);
        const filter = userFilter(input.Filter);
        const users = pool.listUsers().filter((u) => filter === undefined || filter({ sub: u.sub, username: u.username, ...u.attributes }));
        const { items, next } = page(users, input);
        return { Users: items.map((u) => pool.userType(u)), ...(next !== undefined ? { PaginationToken: next } : {}) };
      }
      case 'ListUsersInGroup': {
        const pool = poolOf(input.UserPoolId);
        if (!pool.spec.groups.some((g) => g.groupName === input.GroupName))
          throw new CognitoError('ResourceNotFoundException', 'Group not found.');
        const { items, next } = page(
          pool.listUsers().filter((u) => u.groups.includes(String(input.GroupName))),
          { ...input, PaginationToken: input.NextToken },
        );
        return { Users: items.map((u) => pool.userType(u)), ...(next !== undefined ? { NextToken: next } : {}) };
      }
      case 'ListGroups': {
        const pool = poolOf(input.UserPoolId);
        return {
          Groups: pool.spec.groups.map((g) => ({
            GroupName: g.groupName,
            UserPoolId: pool.spec.userPoolId,
            Description: g.description,
            Precedence: g.precedence,
          })),
        };
      }
      default:
        throw new CognitoError('UnknownOperationException', `${name} is not served by the local Cognito stand-in`);
    }
  };

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', endpoint);
    const wellKnown = /^\/([^/]+)\/\.well-known\/(jwks\.json|openid-configuration)$/.exec(url.pathname);
    if (req.method === 'GET' && wellKnown) {
      const pool = pools.get(wellKnown[1]);
      if (!pool) return send(res, 404, { message: 'User pool does not exist' }, 'application/json');
      if (wellKnown[2] === 'jwks.json') return send(res, 200, { keys: [publicJwk(key)] }, 'application/json');
      return send(
        res,
        200,
        {
          issuer: pool.issuer,
          jwks_uri: `${pool.issuer}/.well-known/jwks.json`,
          authorization_endpoint: `${endpoint}/oauth2/authorize`,
          token_endpoint: `${endpoint}/oauth2/token`,
          end_session_endpoint: `${endpoint}/logout`,
          response_types_supported: ['code'],
          subject_types_supported: ['public'],
          id_token_signing_alg_values_supported: ['RS256'],
          code_challenge_methods_supported: ['S256'],
        },
        'application/json',
      );
    }
    const target = req.headers['x-amz-target'];
    if (req.method === 'POST' && url.pathname === '/' && typeof target === 'string' && target.startsWith(TARGET_PREFIX)) {
      const body = await readBody(req);
      if (body === undefined)
        return send(res, 413, { __type: 'InvalidParameterException', message: `Request body over ${MAX_BODY_BYTES} bytes` });
      let input: Record<string, unknown>;
      try {
        input = asRecord(JSON.parse(body.toString('utf8') || '{}'));
      } catch {
        return send(res, 400, { __type: 'SerializationException', message: 'Request body is not JSON' });
      }
      try {
        return send(res, 200, operation(target.slice(TARGET_PREFIX.length), input));
      } catch (error) {
        if (error instanceof CognitoError) return send(res, error.statusCode, { __type: error.type, message: error.message });
        throw error;
      }
    }
    for (const handler of extra) if (await handler(req, res)) return;
    send(res, 404, { message: `Not found: ${req.method ?? 'GET'} ${url.pathname}` }, 'application/json');
  }

  const first = [...pools.values()][0];
  const loginBackend: ManagedLoginBackend | undefined = first && {
    authenticate: async (email, password) => {
      try {
        const user = first.authenticate(email, password);
        if (user.status !== 'CONFIRMED')
          return { ok: false, reason: 'The password is temporary and must be changed first (npm run token -- --new-password …).' };
        return { ok: true, username: user.username };
      } catch (error) {
        if (error instanceof CognitoError) return { ok: false, reason: error.message };
        throw error;
      }
    },
    issueTokens: async (username, clientId) => {
      const client = first.client(clientId);
      const user = first.findUser(username);
      if (!client || !user) throw new CognitoError('NotAuthorizedException', 'Unknown user or client.');
      const result = first.issueTokens(user, client);
      return {
        idToken: result.IdToken,
        accessToken: result.AccessToken,
        refreshToken: result.RefreshToken ?? '',
        expiresIn: result.ExpiresIn,
      };
    },
    refresh: async (refreshToken, clientId) => {
      const result = first.refresh(refreshToken, clientId);
      return result && { idToken: result.IdToken, accessToken: result.AccessToken, expiresIn: result.ExpiresIn };
    },
    client: (clientId) => first.redirects(clientId),
  };

  let stopping: Promise<void> | undefined;
  return {
    endpoint,
    port,
    pools,
    ...(loginBackend ? { loginBackend } : {}),
    mount: (handler) => void extra.push(handler),
    stop: () =>
      (stopping ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      })),
  };
}
