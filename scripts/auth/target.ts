import * as fs from 'fs';
import * as path from 'path';
import type { LocalEndpoints } from '../../local/runtime';
import { describeStackOutputsWithSdk, type DescribeStackOutputs } from '../producer/endpoints';

/** A user pool to sign in at or manage: deployed (CloudFormation outputs) or the local stand-in. */
export interface IdentityTarget {
  readonly region: string;
  readonly userPoolId: string;
  /** The `cli` app client (USER_PASSWORD_AUTH). */
  readonly cliClientId: string;
  /** The local stand-in's endpoint; absent for a deployed stage. */
  readonly endpoint?: string;
  /** Where it came from, for messages. */
  readonly source: string;
  /** The local runtime's endpoints (demo users), when local. */
  readonly local?: LocalEndpoints;
}

/** A problem the user can fix (nothing running, no such stack); printed without a stack trace. */
export class TargetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TargetError';
  }
}

/** The local runtime's endpoints file (`<localDir>/endpoints.json`); throws TargetError when it is not running. */
export function readLocalEndpoints(localDir: string): LocalEndpoints {
  const file = path.join(path.resolve(localDir), 'endpoints.json');
  if (!fs.existsSync(file)) {
    throw new TargetError(
      `${path.relative(process.cwd(), file)} not found: start the local runtime (npm start), or pass --stage NAME for a deployed stage`,
    );
  }
  const endpoints = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<LocalEndpoints>;
  if (endpoints.cognito === undefined || endpoints.users === undefined) {
    throw new TargetError('the local runtime has no Cognito stand-in: restart it (npm start) with this version');
  }
  return endpoints as LocalEndpoints;
}

/** The region of a user pool id (`eu-west-1_AbC123` → `eu-west-1`). */
export const regionOfPool = (userPoolId: string): string => userPoolId.split('_')[0];

/**
 * The user pool of deployed stage `stage` (outputs `UserPoolId`, `CliClientId` of `uba-<stage>-identity`),
 * or, without a stage, of the local runtime under `localDir`. Throws TargetError saying what to do.
 */
export async function identityTarget(
  options: { readonly stage?: string; readonly localDir: string; readonly region?: string },
  describe: DescribeStackOutputs = describeStackOutputsWithSdk,
): Promise<IdentityTarget> {
  if (options.stage === undefined) {
    const local = readLocalEndpoints(options.localDir);
    return {
      region: local.cognito.region,
      userPoolId: local.cognito.userPoolId,
      cliClientId: local.cognito.clients.cli,
      endpoint: local.cognito.endpoint,
      source: `the local runtime (stage ${local.stage}, ${local.cognito.endpoint})`,
      local,
    };
  }
  const stackName = `uba-${options.stage}-identity`;
  let outputs: Readonly<Record<string, string>>;
  try {
    outputs = await describe(stackName, options.region);
  } catch (error) {
    throw new TargetError(
      `cannot read the outputs of stack ${stackName}: ${(error as Error).message} (deployed? AWS credentials and region set?)`,
    );
  }
  const { UserPoolId: userPoolId, CliClientId: cliClientId } = outputs;
  if (userPoolId === undefined || cliClientId === undefined)
    throw new TargetError(`stack ${stackName} has no UserPoolId / CliClientId output`);
  return { region: regionOfPool(userPoolId), userPoolId, cliClientId, source: `stack ${stackName}` };
}
