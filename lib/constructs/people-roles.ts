import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

/** The roles of people, the same four as the API's Cognito groups. */
export const PERSON_ROLES = ['admin', 'operator', 'developer', 'analyst'] as const;
export type PersonRole = (typeof PERSON_ROLES)[number];

const DESCRIPTIONS: Record<PersonRole, string> = {
  admin: 'everything on the resources of the stage',
  operator: 'alarms, logs and metrics; redrive dead letters, replay quarantined records, change shard counts; no deletion, no secrets',
  developer: 'logs, functions and the results table; changes function code and configuration where the stage allows it',
  analyst: 'the Athena workgroup, the curated table, the dimension and the exports; not the raw lake, the secrets or results writes',
};

export interface PeopleRolesProps {
  /** Stage name, written into the role descriptions. */
  readonly stage: string;
  /** Assuming a role needs a session signed in with MFA. @default true */
  readonly requireMfa?: boolean;
  /** Longest session of an assumed role. @default Duration.hours(1) */
  readonly maxSessionDuration?: Duration;
}

/**
 * One IAM role per person role (admin, operator, developer, analyst) for the console and the
 * CLI. Each trusts this account: any principal of the account whose own policy allows
 * `sts:AssumeRole` on the role may assume it, and only with MFA where `requireMfa` says so.
 * The roles start with no permission; `PeopleAccess` in each stack attaches what a role may do
 * there.
 */
export class PeopleRoles extends Construct {
  public readonly roles: Readonly<Record<PersonRole, iam.Role>>;

  constructor(scope: Construct, id: string, props: PeopleRolesProps) {
    super(scope, id);
    const account = new iam.AccountPrincipal(Stack.of(this).account);
    const trusted = (props.requireMfa ?? true) ? account.withConditions({ Bool: { 'aws:MultiFactorAuthPresent': 'true' } }) : account;
    const role = (name: PersonRole) =>
      new iam.Role(this, pascal(name), {
        assumedBy: trusted,
        description: `uba ${props.stage} ${name}: ${DESCRIPTIONS[name]}`,
        maxSessionDuration: props.maxSessionDuration ?? Duration.hours(1),
      });
    this.roles = { admin: role('admin'), operator: role('operator'), developer: role('developer'), analyst: role('analyst') };
  }
}

/** `operator` → `Operator`. */
export const pascal = (role: PersonRole): string => role.charAt(0).toUpperCase() + role.slice(1);
