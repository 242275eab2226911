/**
 * `npm run -s token -- --role R`: prints an ID token of the local demo user of role R, and
 * nothing else. `--stage S`: signs a real user in at deployed stage S (the cli app client of
 * `uba-S-identity`), with `--email`/`--password` or prompts. Use it as `Authorization: <token>`
 * on the read API (docs/security.md).
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { ROLES, type Role } from '../lambdas/shared/access';
import { ask } from './auth/prompt';
import { localIdToken, signIn, SignInError } from './auth/sign-in';
import { identityTarget, TargetError } from './auth/target';

interface TokenOptions {
  readonly role?: Role;
  readonly stage?: string;
  readonly email?: string;
  readonly password?: string;
  readonly mfaCode?: string;
  readonly newPassword?: string;
  readonly region?: string;
  readonly localDir: string;
}

async function token(opts: TokenOptions): Promise<string> {
  const target = await identityTarget({ stage: opts.stage, localDir: opts.localDir, region: opts.region });
  if (target.local) {
    if (opts.role === undefined) throw new TargetError(`--role is required for the local demo users (${ROLES.join(', ')})`);
    return localIdToken(target.local, opts.role);
  }
  if (opts.role !== undefined)
    throw new TargetError("--role picks a local demo user; for a deployed stage give --email (the role is the user's group)");
  const email = opts.email ?? (await ask('e-mail: ', { option: '--email' }));
  const password = opts.password ?? (await ask('password: ', { hidden: true, option: '--password' }));
  const signedIn = await signIn({ region: target.region, clientId: target.cliClientId }, email, password, {
    mfaCode: async () => opts.mfaCode ?? ask('MFA code: ', { option: '--mfa-code' }),
    newPassword: async () => opts.newPassword ?? ask('new password: ', { hidden: true, option: '--new-password' }),
  });
  return signedIn.idToken;
}

async function main(argv: readonly string[]): Promise<number> {
  const program = new Command('token')
    .description('print an ID token for the read API: a local demo user (--role) or a real user of a deployed stage (--stage)')
    .addOption(
      new Option('--role <role>', `the local demo user of this role (${ROLES.join(', ')})`).argParser((v) => {
        if (!(ROLES as readonly string[]).includes(v)) throw new InvalidArgumentError(`must be one of ${ROLES.join(', ')}`);
        return v as Role;
      }),
    )
    .option('--stage <name>', 'a deployed stage: sign in at its user pool (default: the local runtime)')
    .option('--email <email>', 'who signs in (deployed stage; prompted when absent)')
    .option('--password <password>', 'their password (deployed stage; prompted when absent)')
    .option('--mfa-code <code>', 'the TOTP code, when the pool asks for one (prod)')
    .option('--new-password <password>', 'a permanent password, when the user still has the temporary one')
    .option('--region <region>', 'region of the deployed stage (default: the AWS SDK default)')
    .option('--local-dir <dir>', "npm start's --local-dir (where its endpoints.json is)", '.local')
    .showHelpAfterError();
  try {
    await program.parseAsync([...argv], { from: 'user' });
    process.stdout.write(`${await token(program.opts<TokenOptions>())}\n`);
    return 0;
  } catch (error) {
    if (error instanceof TargetError || error instanceof SignInError) {
      process.stderr.write(`error: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
