/**
 * `npm run users -- add|list|remove`: people of a user pool, with Cognito's admin API. Without
 * `--stage` it manages the local runtime's pool (the Cognito stand-in of `npm start`); with
 * `--stage S` the deployed pool of `uba-S-identity` (your AWS credentials need the
 * cognito-idp:Admin* actions on it). See docs/security.md.
 */
import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminDeleteUserCommand,
  AdminListGroupsForUserCommand,
  AdminSetUserPasswordCommand,
  CognitoIdentityProviderClient,
  ListUsersCommand,
  type UserType,
} from '@aws-sdk/client-cognito-identity-provider';
import { Command, InvalidArgumentError } from 'commander';
import { ROLES, type Role } from '../lambdas/shared/access';
import { generatePassword } from '../local/cognito/user-pool';
import { identityTarget, TargetError, type IdentityTarget } from './auth/target';

interface CommonOptions {
  readonly stage?: string;
  readonly region?: string;
  readonly localDir: string;
}

/** Most users `list` reads (pages of 60). */
const MAX_LISTED = 600;
/** The password policy of the identity stack (lib/constructs/user-identity.ts), for generated local passwords. */
const POLICY = { minimumLength: 12, requireLowercase: true, requireUppercase: true, requireNumbers: true, requireSymbols: true };

const role = (value: string): Role => {
  if (!(ROLES as readonly string[]).includes(value)) throw new InvalidArgumentError(`must be one of ${ROLES.join(', ')}`);
  return value as Role;
};
const email = (value: string): string => {
  if (!/^[^\s@]{1,64}@[^\s@]{1,255}$/.test(value)) throw new InvalidArgumentError('must be an e-mail address');
  return value.toLowerCase();
};

function clientFor(target: IdentityTarget): CognitoIdentityProviderClient {
  return new CognitoIdentityProviderClient({
    region: target.region,
    ...(target.endpoint ? { endpoint: target.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
  });
}

const attribute = (user: UserType, name: string): string | undefined => user.Attributes?.find((a) => a.Name === name)?.Value;

/** Runs `work` with an admin client of the target pool. */
async function withPool<T>(
  opts: CommonOptions,
  work: (client: CognitoIdentityProviderClient, target: IdentityTarget) => Promise<T>,
): Promise<T> {
  const target = await identityTarget({ stage: opts.stage, localDir: opts.localDir, region: opts.region });
  const client = clientFor(target);
  try {
    return await work(client, target);
  } finally {
    client.destroy();
  }
}

async function add(opts: CommonOptions & { email: string; role: Role; password?: string }): Promise<void> {
  await withPool(opts, async (client, target) => {
    const local = target.endpoint !== undefined;
    // Locally nobody receives mail: the user gets a permanent password at once (given or generated), printed here.
    // Deployed: Cognito e-mails a temporary password unless one is given here (then it is permanent).
    const password = opts.password ?? (local ? generatePassword(POLICY) : undefined);
    await client.send(
      new AdminCreateUserCommand({
        UserPoolId: target.userPoolId,
        Username: opts.email,
        UserAttributes: [
          { Name: 'email', Value: opts.email },
          { Name: 'email_verified', Value: 'true' },
        ],
        ...(password !== undefined ? { MessageAction: 'SUPPRESS' } : { DesiredDeliveryMediums: ['EMAIL'] }),
      }),
    );
    if (password !== undefined) {
      await client.send(
        new AdminSetUserPasswordCommand({ UserPoolId: target.userPoolId, Username: opts.email, Password: password, Permanent: true }),
      );
    }
    await client.send(new AdminAddUserToGroupCommand({ UserPoolId: target.userPoolId, Username: opts.email, GroupName: opts.role }));
    process.stdout.write(`added ${opts.email} as ${opts.role} in ${target.source}\n`);
    if (password !== undefined && opts.password === undefined) process.stdout.write(`password: ${password}\n`);
    if (password === undefined) process.stdout.write('Cognito e-mails a temporary password; the first sign-in sets a new one.\n');
  });
}

async function list(opts: CommonOptions): Promise<void> {
  await withPool(opts, async (client, target) => {
    const users: UserType[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(new ListUsersCommand({ UserPoolId: target.userPoolId, Limit: 60, PaginationToken: token }));
      users.push(...(page.Users ?? []));
      token = page.PaginationToken;
    } while (token !== undefined && users.length < MAX_LISTED);
    process.stdout.write(`${users.length}${token !== undefined ? '+' : ''} users in ${target.source}\n`);
    for (const user of users) {
      const groups = await client.send(new AdminListGroupsForUserCommand({ UserPoolId: target.userPoolId, Username: user.Username }));
      const roles = (groups.Groups ?? []).map((g) => g.GroupName).join(',') || '(no role)';
      process.stdout.write(
        `${attribute(user, 'email') ?? user.Username}\t${roles}\t${user.UserStatus ?? ''}${user.Enabled === false ? '\tdisabled' : ''}\n`,
      );
    }
  });
}

async function remove(opts: CommonOptions & { email: string }): Promise<void> {
  await withPool(opts, async (client, target) => {
    await client.send(new AdminDeleteUserCommand({ UserPoolId: target.userPoolId, Username: opts.email }));
    process.stdout.write(`removed ${opts.email} from ${target.source}\n`);
  });
}

async function main(argv: readonly string[]): Promise<number> {
  const program = new Command('users')
    .description("people of the user pool: the local runtime's, or a deployed stage's with --stage")
    .showHelpAfterError();
  const common = (command: Command) =>
    command
      .option('--stage <name>', 'a deployed stage (default: the local runtime)')
      .option('--region <region>', 'region of the deployed stage (default: the AWS SDK default)')
      .option('--local-dir <dir>', "npm start's --local-dir (where its endpoints.json is)", '.local');
  common(program.command('add').description('create a user in a role (no self sign-up: this is how people get in)'))
    .requiredOption('--email <email>', 'their e-mail address (they sign in with it)', email)
    .requiredOption('--role <role>', ROLES.join(', '), role)
    .option('--password <password>', 'a permanent password (default: generated locally; e-mailed temporary one when deployed)')
    .action(async (opts: CommonOptions & { email: string; role: Role; password?: string }) => add(opts));
  common(program.command('list').description('every user with their role and status')).action(async (opts: CommonOptions) => list(opts));
  common(program.command('remove').description('delete a user (their refresh tokens stop working)'))
    .requiredOption('--email <email>', 'their e-mail address', email)
    .action(async (opts: CommonOptions & { email: string }) => remove(opts));
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (error) {
    const name = (error as { name?: string }).name ?? '';
    if (error instanceof TargetError || /Exception$/.test(name)) {
      process.stderr.write(`error: ${(error as Error).message}\n`);
      return 2;
    }
    throw error;
  }
}

void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
