import { randomBytes, randomUUID, scryptSync, timingSafeEqual } from 'crypto';
import { signJwt, type SigningKey } from './jwt';
import type { PasswordPolicy, UserPoolClientSpec, UserPoolSpec } from './template';

/** An error as the Cognito API answers it: HTTP 400 with `__type` and `message`. */
export class CognitoError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly statusCode = 400,
  ) {
    super(message);
    this.name = type;
  }
}

/** `UNCONFIRMED`-free subset of Cognito's user statuses: admin-created users start in `FORCE_CHANGE_PASSWORD`. */
export type UserStatus = 'CONFIRMED' | 'FORCE_CHANGE_PASSWORD';

/** A user as kept (and persisted) by the stand-in. */
export interface StoredUser {
  /** The user name: a UUID (also `sub`) when users sign in with their e-mail address. */
  readonly username: string;
  readonly sub: string;
  attributes: Record<string, string>;
  passwordHash: string;
  status: UserStatus;
  enabled: boolean;
  groups: string[];
  readonly createdAt: number;
  modifiedAt: number;
}

/** A user as the API answers it (`UserType`). */
export interface UserType {
  readonly Username: string;
  readonly Attributes: Array<{ Name: string; Value: string }>;
  readonly UserCreateDate: number;
  readonly UserLastModifiedDate: number;
  readonly Enabled: boolean;
  readonly UserStatus: UserStatus;
}

/** Tokens of a sign-in. */
export interface AuthenticationResult {
  readonly IdToken: string;
  readonly AccessToken: string;
  readonly RefreshToken?: string;
  readonly ExpiresIn: number;
  readonly TokenType: 'Bearer';
}

interface RefreshGrant {
  readonly username: string;
  readonly clientId: string;
  readonly expiresAt: number;
  readonly originJti: string;
  readonly authTime: number;
}

/** What is persisted of a pool. */
export interface UserPoolState {
  readonly users: StoredUser[];
  readonly refreshTokens: Record<string, RefreshGrant>;
}

/** Longest user name, attribute value and password the stand-in takes (Cognito's limits). */
const MAX_NAME = 128;
const MAX_VALUE = 2048;
const MAX_PASSWORD = 256;
/** Most users one pool holds locally. */
export const MAX_USERS = 1000;

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,255}$/;

function hashPassword(password: string): string {
  const salt = randomBytes(16);
  return `${salt.toString('base64')}:${scryptSync(password, salt, 32).toString('base64')}`;
}

function passwordMatches(password: string, hash: string): boolean {
  const [salt, digest] = hash.split(':');
  if (salt === undefined || digest === undefined) return false;
  const expected = Buffer.from(digest, 'base64');
  const actual = scryptSync(password, Buffer.from(salt, 'base64'), expected.length);
  return timingSafeEqual(actual, expected);
}

/** Why `password` breaks `policy` (Cognito's wording), or undefined when it conforms. */
export function passwordPolicyViolation(password: string, policy: PasswordPolicy): string | undefined {
  if (password.length < policy.minimumLength) return 'Password not long enough';
  if (password.length > MAX_PASSWORD) return 'Password too long';
  if (policy.requireLowercase && !/[a-z]/.test(password)) return 'Password must have lowercase characters';
  if (policy.requireUppercase && !/[A-Z]/.test(password)) return 'Password must have uppercase characters';
  if (policy.requireNumbers && !/[0-9]/.test(password)) return 'Password must have numeric characters';
  if (policy.requireSymbols && !/[\^$*.[\]{}()?"!@#%&/\\,><':;|_~`=+-]/.test(password)) return 'Password must have symbol characters';
  return undefined;
}

/**
 * One Cognito user pool on this machine, as the templates declare it: users (admin-created,
 * e-mail as user name), groups, app clients, password policy, and sign-in that issues RS256 ID and
 * access tokens (`cognito:groups`, `token_use`, `aud`/`client_id`, `iss` = `<endpoint>/<poolId>`,
 * `exp` per the client's validity) and opaque refresh tokens. `onChange` is called after every
 * change (to persist {@link state}).
 */
export class LocalUserPool {
  readonly issuer: string;
  private readonly users = new Map<string, StoredUser>();
  private readonly refreshTokens = new Map<string, RefreshGrant>();
  private readonly extraRedirects: string[] = [];

  constructor(
    readonly spec: UserPoolSpec,
    endpoint: string,
    private readonly key: SigningKey,
    private readonly options: { readonly now?: () => number; readonly onChange?: () => void; readonly state?: UserPoolState } = {},
  ) {
    this.issuer = `${endpoint}/${spec.userPoolId}`;
    for (const user of options.state?.users ?? []) this.users.set(user.username, { ...user });
    for (const [token, grant] of Object.entries(options.state?.refreshTokens ?? {})) this.refreshTokens.set(token, grant);
  }

  /** Seconds since the epoch. */
  private now(): number {
    return Math.floor((this.options.now?.() ?? Date.now()) / 1000);
  }

  private changed(): void {
    this.options.onChange?.();
  }

  /** What to persist. */
  state(): UserPoolState {
    return { users: [...this.users.values()], refreshTokens: Object.fromEntries(this.refreshTokens) };
  }

  /** The app client `clientId` of this pool, or undefined. */
  client(clientId: string): UserPoolClientSpec | undefined {
    return this.spec.clients.find((c) => c.clientId === clientId);
  }

  /** Callback and sign-out URLs of a client: the template's, plus those allowed on this machine (the local dashboard). */
  redirects(clientId: string): { readonly callbackUrls: readonly string[]; readonly logoutUrls: readonly string[] } | undefined {
    const client = this.client(clientId);
    if (!client) return undefined;
    return { callbackUrls: [...client.callbackUrls, ...this.extraRedirects], logoutUrls: [...client.logoutUrls, ...this.extraRedirects] };
  }

  /** Also allows `url` as a callback and sign-out URL of the clients that use the managed-login pages (the local dashboard's address). */
  allowLocalRedirect(url: string): void {
    if (!this.extraRedirects.includes(url)) this.extraRedirects.push(url);
  }

  private requireClient(clientId: unknown): UserPoolClientSpec {
    const client = typeof clientId === 'string' ? this.client(clientId) : undefined;
    if (!client) throw new CognitoError('ResourceNotFoundException', `User pool client ${String(clientId)} does not exist.`);
    return client;
  }

  /** The user named `name` (its user name, or its e-mail address when that is how users sign in), or undefined. */
  findUser(name: string): StoredUser | undefined {
    const direct = this.users.get(name);
    if (direct) return direct;
    const email = name.toLowerCase();
    return [...this.users.values()].find((u) => u.attributes.email?.toLowerCase() === email);
  }

  private requireUser(name: unknown): StoredUser {
    const user = typeof name === 'string' ? this.findUser(name) : undefined;
    if (!user) throw new CognitoError('UserNotFoundException', 'User does not exist.');
    return user;
  }

  private checkPassword(password: unknown, field: string): string {
    if (typeof password !== 'string') throw new CognitoError('InvalidParameterException', `Missing required parameter ${field}`);
    const violation = passwordPolicyViolation(password, this.spec.passwordPolicy);
    if (violation !== undefined) throw new CognitoError('InvalidPasswordException', `Password did not conform with policy: ${violation}`);
    return password;
  }

  /** A user as the API answers it. */
  userType(user: StoredUser): UserType {
    return {
      Username: user.username,
      Attributes: Object.entries({ sub: user.sub, ...user.attributes }).map(([Name, Value]) => ({ Name, Value })),
      UserCreateDate: user.createdAt,
      UserLastModifiedDate: user.modifiedAt,
      Enabled: user.enabled,
      UserStatus: user.status,
    };
  }

  /**
   * AdminCreateUser: a new user in `FORCE_CHANGE_PASSWORD` with `temporaryPassword` (or a generated
   * one). With e-mail sign-in, `username` must be an e-mail address; the user name becomes a UUID.
   */
  adminCreateUser(username: unknown, attributes: Record<string, string>, temporaryPassword?: string): StoredUser {
    if (typeof username !== 'string' || username.length < 1 || username.length > MAX_NAME) {
      throw new CognitoError('InvalidParameterException', 'Username must be 1 to 128 characters.');
    }
    for (const [name, value] of Object.entries(attributes)) {
      if (name.length > 32 || value.length > MAX_VALUE)
        throw new CognitoError('InvalidParameterException', `Attribute ${name} is too long.`);
    }
    if (this.users.size >= MAX_USERS)
      throw new CognitoError('LimitExceededException', `The local user pool holds at most ${MAX_USERS} users.`);
    const email = (this.spec.emailAsUsername ? username : attributes.email)?.toLowerCase();
    if (this.spec.emailAsUsername && !EMAIL.test(username))
      throw new CognitoError('InvalidParameterException', 'Username should be an email.');
    if (email !== undefined && !EMAIL.test(email)) throw new CognitoError('InvalidParameterException', 'Invalid email address format.');
    if (this.findUser(username) || (email !== undefined && this.findUser(email))) {
      throw new CognitoError('UsernameExistsException', 'An account with the given email already exists.');
    }
    const password =
      temporaryPassword === undefined
        ? generatePassword(this.spec.passwordPolicy)
        : this.checkPassword(temporaryPassword, 'TemporaryPassword');
    const sub = randomUUID();
    const now = this.now();
    const user: StoredUser = {
      username: this.spec.emailAsUsername ? sub : username,
      sub,
      attributes: { ...attributes, ...(email !== undefined ? { email, email_verified: attributes.email_verified ?? 'true' } : {}) },
      passwordHash: hashPassword(password),
      status: 'FORCE_CHANGE_PASSWORD',
      enabled: true,
      groups: [],
      createdAt: now,
      modifiedAt: now,
    };
    this.users.set(user.username, user);
    this.changed();
    return user;
  }

  /** AdminSetUserPassword: a permanent password confirms the user; a temporary one asks for a new one at next sign-in. */
  adminSetUserPassword(username: unknown, password: unknown, permanent: boolean): void {
    const user = this.requireUser(username);
    user.passwordHash = hashPassword(this.checkPassword(password, 'Password'));
    user.status = permanent ? 'CONFIRMED' : 'FORCE_CHANGE_PASSWORD';
    user.modifiedAt = this.now();
    this.changed();
  }

  /** AdminAddUserToGroup / AdminRemoveUserFromGroup. */
  adminSetGroup(username: unknown, groupName: unknown, member: boolean): void {
    const user = this.requireUser(username);
    if (typeof groupName !== 'string' || !this.spec.groups.some((g) => g.groupName === groupName)) {
      throw new CognitoError('ResourceNotFoundException', 'Group not found.');
    }
    user.groups = member ? [...new Set([...user.groups, groupName])] : user.groups.filter((g) => g !== groupName);
    user.modifiedAt = this.now();
    this.changed();
  }

  /** AdminDeleteUser: the user and its refresh tokens are gone. */
  adminDeleteUser(username: unknown): void {
    const user = this.requireUser(username);
    this.users.delete(user.username);
    for (const [token, grant] of this.refreshTokens) if (grant.username === user.username) this.refreshTokens.delete(token);
    this.changed();
  }

  /** AdminGetUser. */
  adminGetUser(username: unknown): StoredUser {
    return this.requireUser(username);
  }

  /** Every user, in creation order. */
  listUsers(): StoredUser[] {
    return [...this.users.values()];
  }

  /**
   * Checks an e-mail address (or user name) and password, as sign-in does; never says whether the
   * user exists (PreventUserExistenceErrors). Throws NotAuthorizedException.
   */
  authenticate(name: unknown, password: unknown): StoredUser {
    const user = typeof name === 'string' ? this.findUser(name) : undefined;
    if (!user || typeof password !== 'string' || password.length > MAX_PASSWORD || !passwordMatches(password, user.passwordHash)) {
      throw new CognitoError('NotAuthorizedException', 'Incorrect username or password.');
    }
    if (!user.enabled) throw new CognitoError('NotAuthorizedException', 'User is disabled.');
    return user;
  }

  /** New tokens for `user` through `client`: ID, access and a refresh token. */
  issueTokens(user: StoredUser, client: UserPoolClientSpec): AuthenticationResult {
    const originJti = randomUUID();
    const authTime = this.now();
    const refreshToken = randomBytes(48).toString('base64url');
    this.refreshTokens.set(refreshToken, {
      username: user.username,
      clientId: client.clientId,
      expiresAt: authTime + client.refreshTokenValiditySeconds,
      originJti,
      authTime,
    });
    this.changed();
    return { ...this.tokens(user, client, originJti, authTime), RefreshToken: refreshToken };
  }

  private tokens(user: StoredUser, client: UserPoolClientSpec, originJti: string, authTime: number): AuthenticationResult {
    const iat = this.now();
    const eventId = randomUUID();
    const groups = user.groups.length > 0 ? { 'cognito:groups': [...user.groups] } : {};
    const idToken = signJwt(
      {
        sub: user.sub,
        ...groups,
        email_verified: user.attributes.email_verified === 'true',
        iss: this.issuer,
        'cognito:username': user.username,
        origin_jti: originJti,
        aud: client.clientId,
        event_id: eventId,
        token_use: 'id',
        auth_time: authTime,
        exp: iat + client.idTokenValiditySeconds,
        iat,
        jti: randomUUID(),
        ...(user.attributes.email !== undefined ? { email: user.attributes.email } : {}),
      },
      this.key,
    );
    const accessToken = signJwt(
      {
        sub: user.sub,
        ...groups,
        iss: this.issuer,
        client_id: client.clientId,
        origin_jti: originJti,
        event_id: eventId,
        token_use: 'access',
        scope: 'aws.cognito.signin.user.admin',
        auth_time: authTime,
        exp: iat + client.accessTokenValiditySeconds,
        iat,
        jti: randomUUID(),
        username: user.username,
      },
      this.key,
    );
    return { IdToken: idToken, AccessToken: accessToken, ExpiresIn: client.accessTokenValiditySeconds, TokenType: 'Bearer' };
  }

  /** New ID and access tokens for a refresh token this client was given; undefined when it is unknown, expired or another client's. */
  refresh(refreshToken: string, clientId: string): AuthenticationResult | undefined {
    const grant = this.refreshTokens.get(refreshToken);
    const client = this.client(clientId);
    if (!grant || !client || grant.clientId !== clientId) return undefined;
    if (grant.expiresAt <= this.now()) {
      this.refreshTokens.delete(refreshToken);
      this.changed();
      return undefined;
    }
    const user = this.users.get(grant.username);
    if (!user || !user.enabled) return undefined;
    return this.tokens(user, client, grant.originJti, grant.authTime);
  }

  /**
   * InitiateAuth with `USER_PASSWORD_AUTH` or `REFRESH_TOKEN_AUTH` (`REFRESH_TOKEN`), as the client's
   * `ExplicitAuthFlows` allow; a user with a temporary password gets the `NEW_PASSWORD_REQUIRED` challenge.
   */
  initiateAuth(
    clientId: unknown,
    flow: unknown,
    parameters: Readonly<Record<string, unknown>>,
  ):
    | { readonly AuthenticationResult: AuthenticationResult; readonly ChallengeParameters: Record<string, string> }
    | { readonly ChallengeName: 'NEW_PASSWORD_REQUIRED'; readonly Session: string; readonly ChallengeParameters: Record<string, string> } {
    const client = this.requireClient(clientId);
    if (flow === 'USER_PASSWORD_AUTH') {
      if (!client.explicitAuthFlows.includes('ALLOW_USER_PASSWORD_AUTH')) {
        throw new CognitoError('InvalidParameterException', 'USER_PASSWORD_AUTH flow not enabled for this client');
      }
      const user = this.authenticate(parameters.USERNAME, parameters.PASSWORD);
      if (user.status === 'FORCE_CHANGE_PASSWORD') {
        const session = randomBytes(32).toString('base64url');
        this.sessions.set(session, { username: user.username, clientId: client.clientId, expiresAt: this.now() + 180 });
        return {
          ChallengeName: 'NEW_PASSWORD_REQUIRED',
          Session: session,
          ChallengeParameters: {
            USER_ID_FOR_SRP: user.username,
            requiredAttributes: '[]',
            userAttributes: JSON.stringify(user.attributes),
          },
        };
      }
      return { AuthenticationResult: this.issueTokens(user, client), ChallengeParameters: {} };
    }
    if (flow === 'REFRESH_TOKEN_AUTH' || flow === 'REFRESH_TOKEN') {
      const token = parameters.REFRESH_TOKEN;
      const result = typeof token === 'string' ? this.refresh(token, client.clientId) : undefined;
      if (!result) throw new CognitoError('NotAuthorizedException', 'Invalid Refresh Token');
      return { AuthenticationResult: result, ChallengeParameters: {} };
    }
    throw new CognitoError(
      'InvalidParameterException',
      `AuthFlow ${String(flow)} is not supported by the local user pool (USER_PASSWORD_AUTH, REFRESH_TOKEN_AUTH)`,
    );
  }

  private readonly sessions = new Map<string, { username: string; clientId: string; expiresAt: number }>();

  /** RespondToAuthChallenge `NEW_PASSWORD_REQUIRED`: sets the new password, confirms the user and signs in. */
  respondNewPassword(clientId: unknown, session: unknown, username: unknown, newPassword: unknown): AuthenticationResult {
    const client = this.requireClient(clientId);
    const pending = typeof session === 'string' ? this.sessions.get(session) : undefined;
    if (!pending || pending.clientId !== client.clientId || pending.expiresAt <= this.now()) {
      throw new CognitoError('NotAuthorizedException', 'Invalid session for the user, session is expired.');
    }
    const user = this.requireUser(username);
    if (user.username !== pending.username) throw new CognitoError('NotAuthorizedException', 'Invalid session for the user.');
    this.sessions.delete(session as string);
    this.adminSetUserPassword(user.username, newPassword, true);
    return this.issueTokens(user, client);
  }
}

/** A random password that meets `policy` (for users created without one). */
export function generatePassword(policy: PasswordPolicy): string {
  const body = randomBytes(Math.max(8, policy.minimumLength)).toString('base64url').replace(/[-_]/g, 'x');
  return `${body}Aa7!`;
}
