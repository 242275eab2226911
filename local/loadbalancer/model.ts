import { webAclFor, type WebAclModel } from '../apigateway/firewall';
import type { ResourceRecord, TemplateResolver } from '../template';
import { isJsonObject, type JsonObject, type JsonValue } from '../template/types';

/**
 * The local model of an Application Load Balancer, read from the template: its listener's rules
 * (path-pattern and http-request-method conditions; forward to a Lambda target group, or a fixed
 * response), its default action, its target groups' Lambda functions and its web ACL. Anything
 * else is refused when read, so the stand-in never serves what it does not enforce.
 */

/** What a rule or the default action does. */
export type LoadBalancerAction =
  | { readonly kind: 'forward'; readonly targetGroupArn: string; readonly functionArn: string; readonly multiValueHeaders: boolean }
  | { readonly kind: 'fixed'; readonly statusCode: number; readonly contentType: string; readonly body: string };

export interface LoadBalancerRule {
  readonly priority: number;
  /** Path patterns (`*` any characters, `?` one), case-sensitive; the rule needs one of them to match. */
  readonly pathPatterns?: readonly RegExp[];
  /** Methods, upper case; the rule needs one of them. */
  readonly methods?: readonly string[];
  readonly action: LoadBalancerAction;
}

export interface LoadBalancerModel {
  readonly stackName: string;
  readonly logicalId: string;
  /** The listener served locally (its protocol on AWS; plain HTTP here). */
  readonly listener: { readonly logicalId: string; readonly port: number; readonly protocol: string };
  /** By priority, lowest first. */
  readonly rules: readonly LoadBalancerRule[];
  readonly defaultAction: LoadBalancerAction;
  readonly firewall?: WebAclModel;
}

/** A load balancer the stand-in cannot serve faithfully. */
export class UnsupportedLoadBalancerError extends Error {
  override readonly name = 'UnsupportedLoadBalancerError';
}

const refuse = (where: string, what: string): never => {
  throw new UnsupportedLoadBalancerError(`${where}: ${what} is not served by the local load balancer stand-in`);
};

/** ALB path patterns: `*` matches any characters, `?` exactly one; the rest literally, whole path. */
export function pathPatternRegExp(pattern: string): RegExp {
  const body = [...pattern].map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[\\^$.|+()[\]{}]/g, '\\$&'))).join('');
  return new RegExp(`^${body}$`);
}

/** The resolved value at `path` of a resource's properties (only what the stand-in needs is resolved). */
function prop(resolver: TemplateResolver, rec: ResourceRecord, ...path: Array<string | number>): JsonValue | undefined {
  let raw: JsonValue | undefined = rec.properties;
  for (const seg of path) {
    if (typeof seg === 'number') raw = Array.isArray(raw) ? raw[seg] : undefined;
    else raw = isJsonObject(raw) ? raw[seg] : undefined;
  }
  if (raw === undefined) return undefined;
  return resolver.resolve(rec.stackName, raw, ['Resources', rec.logicalId, 'Properties', ...path]);
}

const strings = (value: JsonValue | undefined): string[] => (Array.isArray(value) ? value.map(String) : []);

/** Every Application Load Balancer of the templates, as the stand-in serves it. Throws naming what it cannot serve. */
export function loadBalancersFromTemplate(resolver: TemplateResolver, functionArns: ReadonlySet<string>): LoadBalancerModel[] {
  const ref = (rec: ResourceRecord) => resolver.ref(rec.stackName, rec.logicalId);
  const targetGroups = new Map<string, ResourceRecord>();
  for (const tg of resolver.resourcesOfType('AWS::ElasticLoadBalancingV2::TargetGroup')) targetGroups.set(ref(tg), tg);

  const forwardTo = (targetGroupArn: string, where: string): LoadBalancerAction => {
    const tg =
      targetGroups.get(targetGroupArn) ?? refuse(where, `a forward to ${targetGroupArn}, which is no target group of the templates,`);
    if (prop(resolver, tg, 'TargetType') !== 'lambda') refuse(where, `a target group of type ${String(prop(resolver, tg, 'TargetType'))}`);
    const targets = prop(resolver, tg, 'Targets');
    const ids = Array.isArray(targets) ? targets.filter(isJsonObject).map((t) => String(t.Id)) : [];
    if (ids.length !== 1) refuse(where, `a Lambda target group with ${ids.length} targets`);
    if (!functionArns.has(ids[0])) refuse(where, `a target ${ids[0]} that is no function of the templates`);
    const attributes = prop(resolver, tg, 'TargetGroupAttributes');
    const multi = (Array.isArray(attributes) ? attributes.filter(isJsonObject) : []).find(
      (a) => a.Key === 'lambda.multi_value_headers.enabled',
    );
    return { kind: 'forward', targetGroupArn, functionArn: ids[0], multiValueHeaders: String(multi?.Value) === 'true' };
  };

  const action = (actions: JsonValue | undefined, where: string): LoadBalancerAction => {
    const list = Array.isArray(actions) ? actions.filter(isJsonObject) : [];
    if (list.length !== 1) return refuse(where, `${list.length} actions`);
    const a: JsonObject = list[0];
    if (a.Type === 'forward') {
      const groups = isJsonObject(a.ForwardConfig) && Array.isArray(a.ForwardConfig.TargetGroups) ? a.ForwardConfig.TargetGroups : [];
      const arn =
        typeof a.TargetGroupArn === 'string'
          ? a.TargetGroupArn
          : groups.length === 1 && isJsonObject(groups[0])
            ? String(groups[0].TargetGroupArn)
            : undefined;
      return arn === undefined ? refuse(where, 'a forward to several target groups') : forwardTo(arn, where);
    }
    if (a.Type === 'fixed-response' && isJsonObject(a.FixedResponseConfig)) {
      const c = a.FixedResponseConfig;
      return {
        kind: 'fixed',
        statusCode: Number(c.StatusCode),
        contentType: String(c.ContentType ?? 'text/plain'),
        body: String(c.MessageBody ?? ''),
      };
    }
    return refuse(where, `an action of type ${String(a.Type)}`);
  };

  const models: LoadBalancerModel[] = [];
  for (const lb of resolver.resourcesOfType('AWS::ElasticLoadBalancingV2::LoadBalancer')) {
    const where = `${lb.stackName}: load balancer ${lb.logicalId}`;
    if ((prop(resolver, lb, 'Type') ?? 'application') !== 'application')
      refuse(where, `a ${String(prop(resolver, lb, 'Type'))} load balancer`);
    const arn = ref(lb);
    const listeners = resolver
      .resourcesOfType('AWS::ElasticLoadBalancingV2::Listener')
      .filter((l) => prop(resolver, l, 'LoadBalancerArn') === arn);
    if (listeners.length !== 1) refuse(where, `${listeners.length} listeners (one is served)`);
    const listener = listeners[0];
    const listenerArn = ref(listener);
    const rules: LoadBalancerRule[] = resolver
      .resourcesOfType('AWS::ElasticLoadBalancingV2::ListenerRule')
      .filter((r) => prop(resolver, r, 'ListenerArn') === listenerArn)
      .map((r) => {
        const at = `${r.stackName}: listener rule ${r.logicalId}`;
        let pathPatterns: RegExp[] | undefined;
        let methods: string[] | undefined;
        const conditions = prop(resolver, r, 'Conditions');
        for (const c of Array.isArray(conditions) ? conditions.filter(isJsonObject) : []) {
          if (c.Field === 'path-pattern') {
            const values = isJsonObject(c.PathPatternConfig) ? strings(c.PathPatternConfig.Values) : strings(c.Values);
            pathPatterns = values.map(pathPatternRegExp);
          } else if (c.Field === 'http-request-method' && isJsonObject(c.HttpRequestMethodConfig)) {
            methods = strings(c.HttpRequestMethodConfig.Values).map((m) => m.toUpperCase());
          } else {
            refuse(at, `a condition on ${String(c.Field)}`);
          }
        }
        return {
          priority: Number(prop(resolver, r, 'Priority')),
          ...(pathPatterns ? { pathPatterns } : {}),
          ...(methods ? { methods } : {}),
          action: action(prop(resolver, r, 'Actions'), at),
        };
      })
      .sort((a, b) => a.priority - b.priority);
    const firewall = webAclFor(resolver, (resourceArn) => resourceArn === arn, `load balancer ${lb.logicalId}`);
    models.push({
      stackName: lb.stackName,
      logicalId: lb.logicalId,
      listener: {
        logicalId: listener.logicalId,
        port: Number(prop(resolver, listener, 'Port')),
        protocol: String(prop(resolver, listener, 'Protocol')),
      },
      rules,
      defaultAction: action(prop(resolver, listener, 'DefaultActions'), `${listener.stackName}: listener ${listener.logicalId}`),
      ...(firewall ? { firewall } : {}),
    });
  }
  return models;
}

/** The action for a request: the first rule (by priority) whose conditions all hold, else the default. Never throws. */
export function actionFor(model: LoadBalancerModel, method: string, path: string): LoadBalancerAction {
  for (const rule of model.rules) {
    if (rule.pathPatterns && !rule.pathPatterns.some((p) => p.test(path))) continue;
    if (rule.methods && !rule.methods.includes(method.toUpperCase())) continue;
    return rule.action;
  }
  return model.defaultAction;
}
