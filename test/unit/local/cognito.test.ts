import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminDeleteUserCommand,
  AdminListGroupsForUserCommand,
  AdminSetUserPasswordCommand,
  CognitoIdentityProviderClient,
  ListUsersCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import * as fs from 'fs';
import * as path from 'path';
import { cognitoTokenCheck } from '../../../local/apigateway/cognito-authorizer';
import type { CognitoAuthorizerModel } from '../../../local/apigateway/proxy';
import type { CognitoTokenCheck } from '../../../local/apigateway/server';
import {
  decodeJwtClaims,
  ensureDemoUsers,
  generateSigningKey,
  importSigningKey,
  signJwt,
  startCognito,
  type RunningCognito,
  type UserPoolSpec,
} from '../../../local/cognito';
import { signIn, SignInError } from '../../../scripts/auth/sign-in';
import { tempDir } from '../../support/temp-dirs';

const POOL_ID = 'us-east-1_TestPool1';
const ARN = `arn:aws:cognito-idp:us-east-1:000000000000:userpool/${POOL_ID}`;
const CLIENT = {
  explicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
  allowedOAuthFlows: [],
  callbackUrls: [],
  logoutUrls: [],
};

/** A pool as the dev templates declare it: e-mail user names, the four role groups, a cli client and a second client. */
function aPoolSpec(): UserPoolSpec {
  return {
    stackName: 'uba-test-identity',
    logicalId: 'UserPool',
    userPoolId: POOL_ID,
    arn: ARN,
    name: 'uba-test-people',
    passwordPolicy: { minimumLength: 12, requireLowercase: true, requireUppercase: true, requireNumbers: true, requireSymbols: true },
    mfaConfiguration: 'OPTIONAL',
    emailAsUsername: true,
    groups: ['admin', 'operator', 'developer', 'analyst'].map((groupName) => ({ groupName })),
    clients: [
      {
        ...CLIENT,
        clientId: 'cliclient',
        clientName: 'cli',
        stackName: 's',
        idTokenValiditySeconds: 3600,
        accessTokenValiditySeconds: 3600,
        refreshTokenValiditySeconds: 86400,
        generateSecret: false,
      },
      {
        ...CLIENT,
        clientId: 'otherclient',
        clientName: 'other',
        stackName: 's',
        explicitAuthFlows: [],
        idTokenValiditySeconds: 300,
        accessTokenValiditySeconds: 300,
        refreshTokenValiditySeconds: 3600,
        generateSecret: false,
      },
    ],
  };
}

const AUTHORIZER: CognitoAuthorizerModel = { id: 'auth1', providerArns: [ARN], header: 'authorization' };

let cognito: RunningCognito;
let check: CognitoTokenCheck;
let admin: CognitoIdentityProviderClient;
let stateFile: string;

beforeAll(async () => {
  stateFile = path.join(tempDir('cognito-'), 'cognito.json');
  cognito = await startCognito({ port: 0, pools: [aPoolSpec()], stateFile });
  const pool = cognito.pools.get(POOL_ID);
  if (!pool) throw new Error('no pool');
  check = cognitoTokenCheck([{ arn: ARN, issuer: pool.issuer, clientIds: pool.spec.clients.map((c) => c.clientId) }]);
  admin = new CognitoIdentityProviderClient({
    region: 'us-east-1',
    endpoint: cognito.endpoint,
    credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
  });
});

afterAll(async () => {
  admin.destroy();
  await cognito.stop();
});

const target = () => ({ region: 'us-east-1', clientId: 'cliclient', endpoint: cognito.endpoint });

describe('local Cognito stand-in', () => {
  it('listens on loopback only', () => {
    expect(cognito.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('creates a user with the admin API, puts it in a group and signs it in with RS256 tokens the authorizer accepts', async () => {
    // prepare
    const email = 'Ana@Example.com';
    await admin.send(
      new AdminCreateUserCommand({
        UserPoolId: POOL_ID,
        Username: email,
        UserAttributes: [{ Name: 'email', Value: email }],
        MessageAction: 'SUPPRESS',
      }),
    );
    await admin.send(
      new AdminSetUserPasswordCommand({ UserPoolId: POOL_ID, Username: email, Password: 'Correct-horse-9', Permanent: true }),
    );
    await admin.send(new AdminAddUserToGroupCommand({ UserPoolId: POOL_ID, Username: email, GroupName: 'analyst' }));

    // act
    const tokens = await signIn(target(), 'ana@example.com', 'Correct-horse-9');
    const verdict = await check(AUTHORIZER, tokens.idToken);

    // assess
    const id = decodeJwtClaims(tokens.idToken);
    expect(JSON.parse(Buffer.from(tokens.idToken.split('.')[0], 'base64url').toString())).toMatchObject({ alg: 'RS256' });
    expect(id).toMatchObject({
      token_use: 'id',
      aud: 'cliclient',
      iss: `${cognito.endpoint}/${POOL_ID}`,
      'cognito:groups': ['analyst'],
      email: 'ana@example.com',
    });
    expect(Number(id?.exp) - Number(id?.iat)).toBe(3600);
    expect(decodeJwtClaims(tokens.accessToken)).toMatchObject({ token_use: 'access', client_id: 'cliclient' });
    expect(verdict).toMatchObject({ ok: true, claims: { 'cognito:groups': 'analyst', token_use: 'id', email: 'ana@example.com' } });
    const groups = await admin.send(new AdminListGroupsForUserCommand({ UserPoolId: POOL_ID, Username: email }));
    expect(groups.Groups?.map((g) => g.GroupName)).toEqual(['analyst']);
  });

  it('refuses a wrong password, a password breaking the policy, a duplicate user and an unknown group, as Cognito words it', async () => {
    await expect(signIn(target(), 'ana@example.com', 'Wrong-horse-99')).rejects.toThrow(SignInError);
    await expect(signIn(target(), 'nobody@example.com', 'Wrong-horse-99')).rejects.toThrow('Incorrect username or password.');
    await expect(
      admin.send(new AdminSetUserPasswordCommand({ UserPoolId: POOL_ID, Username: 'ana@example.com', Password: 'short', Permanent: true })),
    ).rejects.toMatchObject({
      name: 'InvalidPasswordException',
      message: 'Password did not conform with policy: Password not long enough',
    });
    await expect(admin.send(new AdminCreateUserCommand({ UserPoolId: POOL_ID, Username: 'ana@example.com' }))).rejects.toMatchObject({
      name: 'UsernameExistsException',
    });
    await expect(
      admin.send(new AdminAddUserToGroupCommand({ UserPoolId: POOL_ID, Username: 'ana@example.com', GroupName: 'root' })),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('asks a user on a temporary password for a new one before giving tokens', async () => {
    await admin.send(
      new AdminCreateUserCommand({ UserPoolId: POOL_ID, Username: 'temp@example.com', TemporaryPassword: 'Temporary-pass-1' }),
    );
    await expect(signIn(target(), 'temp@example.com', 'Temporary-pass-1')).rejects.toThrow(/temporary password/);
    const tokens = await signIn(target(), 'temp@example.com', 'Temporary-pass-1', { newPassword: async () => 'Permanent-pass-22' });
    expect(decodeJwtClaims(tokens.idToken)).not.toHaveProperty('cognito:groups');
    await expect(signIn(target(), 'temp@example.com', 'Permanent-pass-22')).resolves.toHaveProperty('idToken');
  });

  describe('the authorizer (issuer, audience, token_use, expiry, signature)', () => {
    let valid: string;
    let claims: Record<string, unknown>;
    const key = () => importSigningKey(JSON.parse(fs.readFileSync(stateFile, 'utf8')).key as { kid: string; pem: string });
    beforeAll(async () => {
      valid = (await signIn(target(), 'ana@example.com', 'Correct-horse-9')).idToken;
      claims = decodeJwtClaims(valid) ?? {};
    });

    it("accepts the pool's ID token", async () => {
      expect((await check(AUTHORIZER, valid)).ok).toBe(true);
    });

    it('refuses a forged token (same kid, another key)', async () => {
      const forged = signJwt(claims, { ...generateSigningKey(key().kid) });
      expect(await check(AUTHORIZER, forged)).toEqual({ ok: false, reason: 'invalid' });
    });

    it('refuses an expired token as expired', async () => {
      const now = Math.floor(Date.now() / 1000);
      expect(await check(AUTHORIZER, signJwt({ ...claims, iat: now - 7200, exp: now - 3600 }, key()))).toEqual({
        ok: false,
        reason: 'expired',
      });
    });

    it('refuses another audience, another issuer and an access token', async () => {
      expect(await check(AUTHORIZER, signJwt({ ...claims, aud: 'someoneelse' }, key()))).toEqual({ ok: false, reason: 'invalid' });
      expect(await check(AUTHORIZER, signJwt({ ...claims, iss: `${cognito.endpoint}/us-east-1_Other` }, key()))).toEqual({
        ok: false,
        reason: 'invalid',
      });
      const access = (await signIn(target(), 'ana@example.com', 'Correct-horse-9')).accessToken;
      expect(await check(AUTHORIZER, access)).toEqual({ ok: false, reason: 'invalid' });
      expect(await check(AUTHORIZER, 'not-a-jwt')).toEqual({ ok: false, reason: 'invalid' });
    });

    it('refuses a token of a pool the authorizer does not name', async () => {
      expect(
        await check({ ...AUTHORIZER, providerArns: ['arn:aws:cognito-idp:us-east-1:000000000000:userpool/us-east-1_Other'] }, valid),
      ).toEqual({
        ok: false,
        reason: 'invalid',
      });
    });
  });

  it('lists and deletes users; a deleted user cannot sign in', async () => {
    const before = await admin.send(new ListUsersCommand({ UserPoolId: POOL_ID, Filter: 'email = "temp@example.com"' }));
    expect(before.Users).toHaveLength(1);
    await admin.send(new AdminDeleteUserCommand({ UserPoolId: POOL_ID, Username: 'temp@example.com' }));
    await expect(signIn(target(), 'temp@example.com', 'Permanent-pass-22')).rejects.toThrow(SignInError);
    const after = await admin.send(new ListUsersCommand({ UserPoolId: POOL_ID }));
    expect(after.Users?.map((u) => u.Attributes?.find((a) => a.Name === 'email')?.Value)).toEqual(['ana@example.com']);
  });

  it('keeps one confirmed demo user per role, with the same password after a restart', async () => {
    const pool = cognito.pools.get(POOL_ID);
    if (!pool) throw new Error('no pool');
    const file = path.join(path.dirname(stateFile), 'demo-users.json');
    const users = ensureDemoUsers(pool, file);
    expect(users.map((u) => [u.role, u.email])).toEqual([
      ['admin', 'admin@example.com'],
      ['operator', 'operator@example.com'],
      ['developer', 'developer@example.com'],
      ['analyst', 'analyst@example.com'],
    ]);
    expect(ensureDemoUsers(pool, file)).toEqual(users);
    const tokens = await signIn(target(), 'operator@example.com', users[1].password);
    expect(decodeJwtClaims(tokens.idToken)?.['cognito:groups']).toEqual(['operator']);
  });
});
