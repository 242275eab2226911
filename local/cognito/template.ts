import type { ResourceRecord, TemplateResolver } from '../template';
import { isJsonObject, type JsonValue } from '../template/types';

/** A user pool's password policy as `Policies.PasswordPolicy` declares it. */
export interface PasswordPolicy {
  readonly minimumLength: number;
  readonly requireLowercase: boolean;
  readonly requireUppercase: boolean;
  readonly requireNumbers: boolean;
  readonly requireSymbols: boolean;
}

/** An app client of a user pool, from its `AWS::Cognito::UserPoolClient`. */
export interface UserPoolClientSpec {
  readonly clientId: string;
  readonly clientName: string;
  readonly stackName: string;
  /** `ALLOW_USER_PASSWORD_AUTH`, `ALLOW_REFRESH_TOKEN_AUTH`, … */
  readonly explicitAuthFlows: readonly string[];
  /** `code`, `implicit`, `client_credentials` (OAuth flows of the managed-login pages). */
  readonly allowedOAuthFlows: readonly string[];
  readonly callbackUrls: readonly string[];
  readonly logoutUrls: readonly string[];
  readonly idTokenValiditySeconds: number;
  readonly accessTokenValiditySeconds: number;
  readonly refreshTokenValiditySeconds: number;
  readonly generateSecret: boolean;
}

/** A group of a user pool. */
export interface UserPoolGroupSpec {
  readonly groupName: string;
  readonly description?: string;
  readonly precedence?: number;
}

/** A user pool as the templates declare it, with its groups and app clients. */
export interface UserPoolSpec {
  readonly stackName: string;
  readonly logicalId: string;
  readonly userPoolId: string;
  readonly arn: string;
  readonly name: string;
  readonly passwordPolicy: PasswordPolicy;
  /** `OFF`, `ON` (required) or `OPTIONAL`. */
  readonly mfaConfiguration: string;
  /** Users sign in with their e-mail address (`UsernameAttributes: [email]`). */
  readonly emailAsUsername: boolean;
  readonly groups: readonly UserPoolGroupSpec[];
  readonly clients: readonly UserPoolClientSpec[];
}

/** Cognito's defaults when a pool declares no password policy. */
const DEFAULT_POLICY: PasswordPolicy = {
  minimumLength: 8,
  requireLowercase: true,
  requireUppercase: true,
  requireNumbers: true,
  requireSymbols: true,
};

const UNIT_SECONDS: Readonly<Record<string, number>> = { seconds: 1, minutes: 60, hours: 3600, days: 86400 };

function resolved(resolver: TemplateResolver, rec: ResourceRecord, name: string): JsonValue | undefined {
  const value = rec.properties[name];
  return value === undefined ? undefined : resolver.resolve(rec.stackName, value, ['Resources', rec.logicalId, 'Properties', name]);
}

const strings = (value: JsonValue | undefined): string[] => (Array.isArray(value) ? value.map(String) : []);
const bool = (value: JsonValue | undefined, fallback: boolean): boolean =>
  value === undefined ? fallback : value === true || value === 'true';
const num = (value: JsonValue | undefined): number | undefined =>
  typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : undefined;

/** Seconds of a client's token validity: the property in its unit (`TokenValidityUnits`), or Cognito's default. */
function validitySeconds(
  value: JsonValue | undefined,
  units: JsonValue | undefined,
  unitKey: string,
  defaultUnit: string,
  fallback: number,
): number {
  const amount = num(value);
  if (amount === undefined) return fallback;
  const unit = isJsonObject(units) && typeof units[unitKey] === 'string' ? String(units[unitKey]) : defaultUnit;
  return amount * (UNIT_SECONDS[unit] ?? UNIT_SECONDS[defaultUnit]);
}

/**
 * Every `AWS::Cognito::UserPool` of the templates with its `UserPoolGroup`s and `UserPoolClient`s
 * (from any stack), as the local Cognito stand-in creates them. Throws when a reference cannot be resolved.
 */
export function userPoolsFromTemplate(resolver: TemplateResolver): UserPoolSpec[] {
  const pools: UserPoolSpec[] = [];
  const groups = resolver.resourcesOfType('AWS::Cognito::UserPoolGroup');
  const clients = resolver.resourcesOfType('AWS::Cognito::UserPoolClient');
  for (const pool of resolver.resourcesOfType('AWS::Cognito::UserPool')) {
    const userPoolId = resolver.ref(pool.stackName, pool.logicalId);
    const belongs = (rec: ResourceRecord) => resolved(resolver, rec, 'UserPoolId') === userPoolId;
    const policies = resolved(resolver, pool, 'Policies');
    const policy = isJsonObject(policies) && isJsonObject(policies.PasswordPolicy) ? policies.PasswordPolicy : undefined;
    pools.push({
      stackName: pool.stackName,
      logicalId: pool.logicalId,
      userPoolId,
      arn: String(resolver.getAtt(pool.stackName, pool.logicalId, 'Arn')),
      name: String(resolved(resolver, pool, 'UserPoolName') ?? pool.logicalId),
      passwordPolicy: policy
        ? {
            minimumLength: num(policy.MinimumLength) ?? DEFAULT_POLICY.minimumLength,
            requireLowercase: bool(policy.RequireLowercase, false),
            requireUppercase: bool(policy.RequireUppercase, false),
            requireNumbers: bool(policy.RequireNumbers, false),
            requireSymbols: bool(policy.RequireSymbols, false),
          }
        : DEFAULT_POLICY,
      mfaConfiguration: String(resolved(resolver, pool, 'MfaConfiguration') ?? 'OFF'),
      emailAsUsername: strings(resolved(resolver, pool, 'UsernameAttributes')).includes('email'),
      groups: groups.filter(belongs).map((g) => ({
        groupName: String(resolved(resolver, g, 'GroupName') ?? g.logicalId),
        ...(resolved(resolver, g, 'Description') !== undefined ? { description: String(resolved(resolver, g, 'Description')) } : {}),
        ...(num(resolved(resolver, g, 'Precedence')) !== undefined ? { precedence: num(resolved(resolver, g, 'Precedence')) } : {}),
      })),
      clients: clients.filter(belongs).map((c) => {
        const units = resolved(resolver, c, 'TokenValidityUnits');
        return {
          clientId: resolver.ref(c.stackName, c.logicalId),
          clientName: String(resolved(resolver, c, 'ClientName') ?? c.logicalId),
          stackName: c.stackName,
          explicitAuthFlows: strings(resolved(resolver, c, 'ExplicitAuthFlows')),
          allowedOAuthFlows: strings(resolved(resolver, c, 'AllowedOAuthFlows')),
          callbackUrls: strings(resolved(resolver, c, 'CallbackURLs')),
          logoutUrls: strings(resolved(resolver, c, 'LogoutURLs')),
          idTokenValiditySeconds: validitySeconds(resolved(resolver, c, 'IdTokenValidity'), units, 'IdToken', 'hours', 3600),
          accessTokenValiditySeconds: validitySeconds(resolved(resolver, c, 'AccessTokenValidity'), units, 'AccessToken', 'hours', 3600),
          refreshTokenValiditySeconds: validitySeconds(
            resolved(resolver, c, 'RefreshTokenValidity'),
            units,
            'RefreshToken',
            'days',
            30 * 86400,
          ),
          generateSecret: bool(resolved(resolver, c, 'GenerateSecret'), false),
        };
      }),
    });
  }
  return pools;
}
