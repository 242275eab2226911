import { parseFunctionName, type ResourceRecord, type TemplateResolver } from '../template';
import { isJsonObject, type JsonValue } from '../template/types';
import { webAclForStage, type WebAclModel } from './firewall';
import type { ApiRoute, CognitoAuthorizerModel } from './proxy';

/** A REST API stage as the templates declare it, ready for the local stand-in. */
export interface RestApiModel {
  readonly stackName: string;
  readonly logicalId: string;
  readonly restApiId: string;
  readonly stageName: string;
  readonly routes: readonly ApiRoute[];
  /** Logical ids of the API keys attached to this API's stage through usage plans, with their throttles. */
  readonly keys: ReadonlyArray<{
    readonly logicalId: string;
    readonly id: string;
    /** The key's `Name` (its logical id when it has none). */
    readonly name: string;
    readonly throttle?: { rateLimit: number; burstLimit: number };
  }>;
  readonly stageThrottle?: { readonly rateLimit: number; readonly burstLimit: number };
  /** The API's `BinaryMediaTypes`: request bodies of these types reach the function base64-encoded. */
  readonly binaryMediaTypes: readonly string[];
  /** The AWS WAF web ACL associated with the stage, if any. */
  readonly firewall?: WebAclModel;
  /** Routes whose integration the stand-in does not serve (anything but Lambda proxy), with why. */
  readonly skipped: readonly string[];
}

function str(resolver: TemplateResolver, rec: ResourceRecord, value: JsonValue | undefined, ...path: string[]): string | undefined {
  if (value === undefined) return undefined;
  const v = resolver.resolve(rec.stackName, value, ['Resources', rec.logicalId, 'Properties', ...path]);
  return v === undefined || v === null ? undefined : String(v);
}

function num(value: JsonValue | undefined): number | undefined {
  return typeof value === 'number'
    ? value
    : typeof value === 'string' && value !== '' && !Number.isNaN(Number(value))
      ? Number(value)
      : undefined;
}

/** Name of the function a Lambda proxy integration URI invokes (`…/functions/<arn>/invocations`). */
export function functionNameFromIntegrationUri(uri: string): string | undefined {
  const match = /:lambda:path\/2015-03-31\/functions\/(.+)\/invocations$/.exec(uri);
  return match ? parseFunctionName(match[1]).name : undefined;
}

/**
 * Reads every `AWS::ApiGateway::RestApi` with its resources, methods, stage, API keys, usage
 * plans and the stage's web ACL from the templates. Throws (naming the resource) when a reference cannot be resolved.
 */
export function restApiModels(resolver: TemplateResolver): RestApiModel[] {
  const models: RestApiModel[] = [];
  for (const api of resolver.resourcesOfType('AWS::ApiGateway::RestApi')) {
    const restApiId = resolver.ref(api.stackName, api.logicalId);
    const rootId = String(resolver.getAtt(api.stackName, api.logicalId, 'RootResourceId'));
    const belongs = (rec: ResourceRecord) => str(resolver, rec, rec.properties.RestApiId, 'RestApiId') === restApiId;

    // Resource id → full path.
    const resources = resolver.resourcesOfType('AWS::ApiGateway::Resource').filter(belongs);
    const byId = new Map<string, { parentId: string; part: string }>();
    for (const r of resources) {
      byId.set(resolver.ref(r.stackName, r.logicalId), {
        parentId: str(resolver, r, r.properties.ParentId, 'ParentId') ?? '',
        part: String(r.properties.PathPart),
      });
    }
    const pathOf = (id: string, depth = 0): string => {
      if (id === rootId) return '/';
      const node = byId.get(id);
      if (!node || depth > 64) throw new Error(`${api.stackName}: API ${api.logicalId} has a method on an unknown resource ${id}`);
      const parent = pathOf(node.parentId, depth + 1);
      return `${parent === '/' ? '' : parent}/${node.part}`;
    };

    const authorizers = new Map<string, CognitoAuthorizerModel>();
    for (const a of resolver.resourcesOfType('AWS::ApiGateway::Authorizer').filter(belongs)) {
      if (a.properties.Type !== 'COGNITO_USER_POOLS') continue;
      const id = resolver.ref(a.stackName, a.logicalId);
      const arns = Array.isArray(a.properties.ProviderARNs)
        ? a.properties.ProviderARNs.map((v, i) => str(resolver, a, v, 'ProviderARNs', String(i)) ?? '')
        : [];
      const source = str(resolver, a, a.properties.IdentitySource, 'IdentitySource') ?? 'method.request.header.Authorization';
      const header = /^method\.request\.header\.(.+)$/.exec(source)?.[1];
      if (!header) throw new Error(`${a.stackName}: authorizer ${a.logicalId}: identity source ${source} is not a request header`);
      authorizers.set(id, { id, providerArns: arns.filter((arn) => arn !== ''), header: header.toLowerCase() });
    }

    const routes: ApiRoute[] = [];
    const skipped: string[] = [];
    for (const m of resolver.resourcesOfType('AWS::ApiGateway::Method').filter(belongs)) {
      const resourcePath = pathOf(str(resolver, m, m.properties.ResourceId, 'ResourceId') ?? rootId);
      const httpMethod = String(m.properties.HttpMethod).toUpperCase();
      const integration = m.properties.Integration;
      const type = isJsonObject(integration) ? String(integration.Type) : 'NONE';
      const uri = isJsonObject(integration) ? str(resolver, m, integration.Uri, 'Integration', 'Uri') : undefined;
      const functionName = type === 'AWS_PROXY' && uri ? functionNameFromIntegrationUri(uri) : undefined;
      if (!functionName) {
        skipped.push(`${httpMethod} ${resourcePath}: integration ${type} is not served locally (only Lambda proxy integrations are)`);
        continue;
      }
      const authorizationType = String(m.properties.AuthorizationType ?? 'NONE');
      let authorizer: CognitoAuthorizerModel | undefined;
      if (authorizationType === 'COGNITO_USER_POOLS') {
        const authorizerId = str(resolver, m, m.properties.AuthorizerId, 'AuthorizerId') ?? '';
        authorizer = authorizers.get(authorizerId);
        if (!authorizer) throw new Error(`${m.stackName}: method ${m.logicalId} names an unknown Cognito authorizer ${authorizerId}`);
      } else if (authorizationType !== 'NONE') {
        skipped.push(
          `${httpMethod} ${resourcePath}: authorization ${authorizationType} is not served locally (NONE and COGNITO_USER_POOLS are)`,
        );
        continue;
      }
      routes.push({
        resourcePath,
        httpMethod,
        apiKeyRequired: m.properties.ApiKeyRequired === true || m.properties.ApiKeyRequired === 'true',
        ...(authorizer ? { authorizer } : {}),
        functionName,
      });
    }

    const stages = resolver.resourcesOfType('AWS::ApiGateway::Stage').filter(belongs);
    if (stages.length === 0) throw new Error(`${api.stackName}: API ${api.logicalId} has no AWS::ApiGateway::Stage to serve`);
    const stage = stages[0];
    const stageName = str(resolver, stage, stage.properties.StageName, 'StageName') ?? resolver.ref(stage.stackName, stage.logicalId);
    const settings = Array.isArray(stage.properties.MethodSettings) ? stage.properties.MethodSettings.filter(isJsonObject) : [];
    const all = settings.find((s) => s.ResourcePath === '/*' && s.HttpMethod === '*');
    const stageRate = num(all?.ThrottlingRateLimit);
    const stageBurst = num(all?.ThrottlingBurstLimit);

    const keys: Array<RestApiModel['keys'][number]> = [];
    for (const plan of resolver.resourcesOfType('AWS::ApiGateway::UsagePlan')) {
      const apiStages = Array.isArray(plan.properties.ApiStages) ? plan.properties.ApiStages.filter(isJsonObject) : [];
      const serves = apiStages.some(
        (s, i) =>
          str(resolver, plan, s.ApiId, 'ApiStages', String(i), 'ApiId') === restApiId &&
          str(resolver, plan, s.Stage, 'ApiStages', String(i), 'Stage') === stageName,
      );
      if (!serves) continue;
      const planId = resolver.ref(plan.stackName, plan.logicalId);
      const throttle = isJsonObject(plan.properties.Throttle) ? plan.properties.Throttle : undefined;
      const rate = num(throttle?.RateLimit);
      const burst = num(throttle?.BurstLimit);
      for (const link of resolver.resourcesOfType('AWS::ApiGateway::UsagePlanKey')) {
        if (str(resolver, link, link.properties.UsagePlanId, 'UsagePlanId') !== planId) continue;
        const keyId = str(resolver, link, link.properties.KeyId, 'KeyId') ?? '';
        const keyRec = resolver.resourcesOfType('AWS::ApiGateway::ApiKey').find((k) => resolver.ref(k.stackName, k.logicalId) === keyId);
        if (!keyRec || keyRec.properties.Enabled === false) continue;
        keys.push({
          logicalId: keyRec.logicalId,
          id: keyId,
          name: str(resolver, keyRec, keyRec.properties.Name, 'Name') ?? keyRec.logicalId,
          throttle: rate !== undefined && burst !== undefined ? { rateLimit: rate, burstLimit: burst } : undefined,
        });
      }
    }

    const firewall = webAclForStage(resolver, restApiId, stageName);
    const binaryMediaTypes = Array.isArray(api.properties.BinaryMediaTypes)
      ? api.properties.BinaryMediaTypes.map((t, i) => str(resolver, api, t, 'BinaryMediaTypes', String(i)) ?? '').filter((t) => t !== '')
      : [];
    models.push({
      ...(firewall !== undefined ? { firewall } : {}),
      binaryMediaTypes,
      stackName: api.stackName,
      logicalId: api.logicalId,
      restApiId,
      stageName,
      routes,
      keys,
      stageThrottle: stageRate !== undefined && stageBurst !== undefined ? { rateLimit: stageRate, burstLimit: stageBurst } : undefined,
      skipped,
    });
  }
  return models;
}
