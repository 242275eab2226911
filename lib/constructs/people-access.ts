import { Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { wildcardFindings } from '../nag';
import { PERSON_ROLES, PersonRole, pascal } from './people-roles';

/** One statement that some of the people roles get. */
export interface PersonGrant {
  readonly roles: readonly PersonRole[];
  readonly actions: readonly string[];
  readonly resources: readonly string[];
  readonly conditions?: Readonly<Record<string, unknown>>;
  /**
   * Why the statement needs its wildcards (every action of a service on one resource, objects
   * under a prefix, an action without resource-level permissions); each wildcard finding of the
   * statement is acknowledged with it. @default - none acknowledged: a wildcard fails synth
   */
  readonly wildcardReason?: string;
}

export interface PeopleAccessProps {
  /** The people roles of the stage (in the stage's people stack). */
  readonly roles: Readonly<Record<PersonRole, iam.IRole>>;
  /** What each role may do on this stack's resources. */
  readonly grants: readonly PersonGrant[];
}

/**
 * The permissions of the people roles on the resources of one stack: one customer-managed
 * policy per role that has any grant here, attached to that role. Living beside the resources,
 * the policies reference them directly and the stack depends only on the roles, never the
 * reverse.
 */
export class PeopleAccess extends Construct {
  public readonly policies: Partial<Record<PersonRole, iam.ManagedPolicy>> = {};

  constructor(scope: Construct, id: string, props: PeopleAccessProps) {
    super(scope, id);
    const stack = Stack.of(this);
    for (const role of PERSON_ROLES) {
      const grants = props.grants.filter((g) => g.roles.includes(role));
      if (grants.length === 0) continue;
      const statements = grants.map(
        (g) =>
          new iam.PolicyStatement({
            actions: [...g.actions],
            resources: [...g.resources],
            conditions: g.conditions ? { ...g.conditions } : undefined,
          }),
      );
      const policy = new iam.ManagedPolicy(this, pascal(role), {
        description: `${stack.stackName}: what the ${role} role may do here`,
        roles: [props.roles[role]],
        statements,
      });
      this.policies[role] = policy;
      grants.forEach((grant, i) => {
        const document = { Statement: [stack.resolve(statements[i].toStatementJson())] };
        for (const finding of wildcardFindings(document)) {
          if (grant.wildcardReason) {
            Validations.of(policy).acknowledge({ id: `AwsSolutions-IAM5[${finding.id}]`, reason: grant.wildcardReason });
          }
        }
      });
    }
  }
}
