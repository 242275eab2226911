import type { ResourceRecord, TemplateResolver } from '../template';
import { isJsonObject, type JsonObject, type JsonValue } from '../template/types';

/**
 * The local stand-in of an AWS WAF web ACL associated with a REST API stage or a load balancer: the rules are read
 * from the template and evaluated on each request before API Gateway handles it, as AWS WAF does
 * (rules by priority, the first terminating action wins; Count does not terminate). Only the
 * statements, fields and transformations below are evaluated; a web ACL using anything else is
 * refused when it is read (an unenforced rule would make the stand-in accept what AWS refuses).
 */

/** What a rule looks at in a request. */
export interface FirewallRequest {
  readonly method: string;
  /** Path as received, without the query string. */
  readonly path: string;
  /** Raw header pairs as received. */
  readonly rawHeaders: readonly string[];
  /** The client's address, as the connection shows it. */
  readonly sourceIp: string;
}

/** A compiled statement: true when the request matches. */
type Matcher = (request: FirewallRequest) => boolean;

/** What a terminating rule (or the default action) does with a request. */
export type FirewallAction =
  | { readonly kind: 'allow' }
  | {
      readonly kind: 'block';
      readonly statusCode: number;
      readonly contentType: string;
      readonly body: string;
      readonly headers: Readonly<Record<string, string>>;
    };

interface CompiledRule {
  readonly name: string;
  readonly priority: number;
  readonly matches: Matcher;
  /** Undefined for Count: evaluation goes on. */
  readonly action?: FirewallAction;
}

/** A web ACL ready to evaluate. */
export interface WebAclModel {
  readonly logicalId: string;
  readonly rules: readonly CompiledRule[];
  readonly defaultAction: FirewallAction;
}

/** AWS WAF's answer to a Block without a custom response. */
const DEFAULT_BLOCK: FirewallAction = {
  kind: 'block',
  statusCode: 403,
  contentType: 'application/json',
  body: JSON.stringify({ message: 'Forbidden' }),
  headers: {},
};

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  APPLICATION_JSON: 'application/json',
  TEXT_PLAIN: 'text/plain',
  TEXT_HTML: 'text/html',
};

class UnsupportedFirewallError extends Error {}

const unsupported = (where: string, what: string): never => {
  throw new UnsupportedFirewallError(`${where}: ${what} is not evaluated by the local stand-in of AWS WAF`);
};

/** The value of one header (names compared without case), or undefined when absent. */
function headerValue(rawHeaders: readonly string[], name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) if ((rawHeaders[i] ?? '').toLowerCase() === wanted) return rawHeaders[i + 1];
  return undefined;
}

/** Reads a `FieldToMatch`: the request part it names (undefined when the request has none). */
function fieldReader(field: JsonValue | undefined, where: string): (request: FirewallRequest) => string | undefined {
  if (!isJsonObject(field)) return unsupported(where, 'a missing FieldToMatch');
  const keys = Object.keys(field);
  if (keys.length !== 1) return unsupported(where, `FieldToMatch ${JSON.stringify(field)}`);
  const key = keys[0];
  if (key === 'Method') return (request) => request.method;
  if (key === 'UriPath') return (request) => request.path;
  if (key === 'SingleHeader') {
    const spec = field.SingleHeader;
    const name = isJsonObject(spec) && typeof spec.Name === 'string' ? spec.Name : unsupported(where, 'a SingleHeader without Name');
    return (request) => headerValue(request.rawHeaders, name);
  }
  return unsupported(where, `FieldToMatch ${key}`);
}

/** Applies `TextTransformations` in priority order (NONE, LOWERCASE, URL_DECODE are evaluated). */
function transformer(transformations: JsonValue | undefined, where: string): (text: string) => string {
  const list = Array.isArray(transformations) ? transformations.filter(isJsonObject) : [];
  const steps = [...list]
    .sort((a, b) => Number(a.Priority) - Number(b.Priority))
    .map((t) => {
      switch (t.Type) {
        case 'NONE':
          return (text: string) => text;
        case 'LOWERCASE':
          return (text: string) => text.toLowerCase();
        case 'URL_DECODE':
          return (text: string) => {
            try {
              return decodeURIComponent(text);
            } catch {
              return text;
            }
          };
        default:
          return unsupported(where, `TextTransformation ${String(t.Type)}`);
      }
    });
  return (text) => steps.reduce((out, step) => step(out), text);
}

/**
 * Compiles one `Statement` of a rule. `clock` is given for a rule's top statement only: AWS WAF
 * allows a `RateBasedStatement` there and nowhere else (not nested, not in a scope-down).
 */
function compileStatement(statement: JsonValue | undefined, where: string, clock?: () => number): Matcher {
  if (!isJsonObject(statement) || Object.keys(statement).length !== 1) return unsupported(where, `statement ${JSON.stringify(statement)}`);
  const [kind] = Object.keys(statement);
  const body = statement[kind];
  if (!isJsonObject(body)) return unsupported(where, `${kind} without a body`);
  const at = `${where}.${kind}`;
  switch (kind) {
    case 'AndStatement':
    case 'OrStatement': {
      const parts = (Array.isArray(body.Statements) ? body.Statements : []).map((s, i) => compileStatement(s, `${at}[${i}]`));
      if (parts.length < 2) return unsupported(at, 'fewer than two statements');
      return kind === 'AndStatement' ? (r) => parts.every((p) => p(r)) : (r) => parts.some((p) => p(r));
    }
    case 'NotStatement': {
      const inner = compileStatement(body.Statement, at);
      return (r) => !inner(r);
    }
    case 'RegexMatchStatement': {
      const read = fieldReader(body.FieldToMatch, at);
      const transform = transformer(body.TextTransformations, at);
      let pattern: RegExp;
      try {
        pattern = new RegExp(String(body.RegexString));
      } catch (error) {
        return unsupported(at, `RegexString ${String(body.RegexString)} (${(error as Error).message})`);
      }
      // A field the request does not have does not match (AWS WAF has no value to inspect).
      return (r) => {
        const value = read(r);
        return value !== undefined && pattern.test(transform(value));
      };
    }
    case 'ByteMatchStatement': {
      const read = fieldReader(body.FieldToMatch, at);
      const transform = transformer(body.TextTransformations, at);
      const search = String(body.SearchString ?? '');
      const test = byteMatch(String(body.PositionalConstraint), search, at);
      return (r) => {
        const value = read(r);
        return value !== undefined && test(transform(value));
      };
    }
    case 'SizeConstraintStatement': {
      const read = fieldReader(body.FieldToMatch, at);
      const transform = transformer(body.TextTransformations, at);
      const size = Number(body.Size);
      if (!Number.isInteger(size) || size < 0) return unsupported(at, `Size ${String(body.Size)}`);
      const compare = sizeComparison(String(body.ComparisonOperator), size, at);
      // A field the request does not have does not match; the size is the byte length after the transformations.
      return (r) => {
        const value = read(r);
        return value !== undefined && compare(Buffer.byteLength(transform(value), 'utf8'));
      };
    }
    case 'RateBasedStatement':
      if (clock === undefined) return unsupported(at, 'a RateBasedStatement inside another statement');
      return rateBased(body, at, clock);
    default:
      return unsupported(at, kind);
  }
}

/** Most distinct keys a rate-based rule tracks; beyond it the least recently seen is forgotten (a bound on what clients can make it hold). */
export const MAX_RATE_KEYS = 10_000;

/** What a rate-based rule counts a request under: its source address, or one header's value (undefined: not counted). */
function rateKey(body: JsonObject, where: string): (request: FirewallRequest) => string | undefined {
  if (body.AggregateKeyType === 'IP') return (request) => request.sourceIp;
  if (body.AggregateKeyType !== 'CUSTOM_KEYS') return unsupported(where, `AggregateKeyType ${String(body.AggregateKeyType)}`);
  const keys = Array.isArray(body.CustomKeys) ? body.CustomKeys.filter(isJsonObject) : [];
  const header = keys.length === 1 && isJsonObject(keys[0].Header) ? keys[0].Header : undefined;
  if (header === undefined || typeof header.Name !== 'string') return unsupported(where, 'CustomKeys other than one Header');
  const name = header.Name;
  const transform = transformer(header.TextTransformations, where);
  return (request) => {
    const raw = headerValue(request.rawHeaders, name);
    return raw === undefined ? undefined : transform(raw);
  };
}

/**
 * A `RateBasedStatement` aggregated on the source `IP` or on `CUSTOM_KEYS` of one `Header`:
 * matches a request once its key has been seen more than `Limit` times in the last
 * `EvaluationWindowSec` seconds (the request itself counted). A request without the header is not
 * counted and does not match, as AWS WAF skips requests that lack a custom key; with a
 * `ScopeDownStatement`, neither is a request that statement does not match. Other aggregations
 * are refused.
 */
function rateBased(body: JsonObject, where: string, now: () => number): Matcher {
  const keyOf = rateKey(body, where);
  const inScope =
    body.ScopeDownStatement === undefined ? () => true : compileStatement(body.ScopeDownStatement, `${where}.ScopeDownStatement`);
  const limit = Number(body.Limit);
  const windowMs = Number(body.EvaluationWindowSec ?? 300) * 1000;
  if (!Number.isInteger(limit) || limit < 1 || !(windowMs > 0)) return unsupported(where, `Limit ${String(body.Limit)}`);
  const seen = new Map<string, number[]>();
  return (request) => {
    if (!inScope(request)) return false;
    const key = keyOf(request);
    if (key === undefined) return false;
    const at = now();
    const times = (seen.get(key) ?? []).filter((t) => t > at - windowMs);
    times.push(at);
    seen.delete(key);
    seen.set(key, times.length > limit + 1 ? times.slice(-(limit + 1)) : times);
    if (seen.size > MAX_RATE_KEYS) seen.delete(seen.keys().next().value ?? '');
    return times.length > limit;
  };
}

/** The test of a `SizeConstraintStatement`'s comparison of a size with `size`. */
function sizeComparison(operator: string, size: number, where: string): (actual: number) => boolean {
  switch (operator) {
    case 'EQ':
      return (actual) => actual === size;
    case 'NE':
      return (actual) => actual !== size;
    case 'LE':
      return (actual) => actual <= size;
    case 'LT':
      return (actual) => actual < size;
    case 'GE':
      return (actual) => actual >= size;
    case 'GT':
      return (actual) => actual > size;
    default:
      return unsupported(where, `ComparisonOperator ${operator}`);
  }
}

/** The test of a `ByteMatchStatement`'s positional constraint. */
function byteMatch(constraint: string, search: string, where: string): (text: string) => boolean {
  switch (constraint) {
    case 'EXACTLY':
      return (text) => text === search;
    case 'STARTS_WITH':
      return (text) => text.startsWith(search);
    case 'ENDS_WITH':
      return (text) => text.endsWith(search);
    case 'CONTAINS':
      return (text) => text.includes(search);
    default:
      return unsupported(where, `PositionalConstraint ${constraint}`);
  }
}

/** Compiles a rule or default `Action` (`Allow`, `Block` with or without a custom response, `Count`). */
function compileAction(action: JsonValue | undefined, bodies: JsonObject, where: string): FirewallAction | undefined {
  if (!isJsonObject(action)) return unsupported(where, 'a missing Action');
  if ('Allow' in action) return { kind: 'allow' };
  if ('Count' in action) return undefined;
  const block = action.Block;
  if (!isJsonObject(block)) return unsupported(where, `Action ${Object.keys(action).join(', ')}`);
  const custom = block.CustomResponse;
  if (!isJsonObject(custom)) return DEFAULT_BLOCK;
  const statusCode = Number(custom.ResponseCode);
  const key = custom.CustomResponseBodyKey;
  const stored = typeof key === 'string' ? bodies[key] : undefined;
  if (typeof key === 'string' && !isJsonObject(stored)) return unsupported(where, `CustomResponseBodyKey ${key} with no such body`);
  const headers: Record<string, string> = {};
  for (const h of Array.isArray(custom.ResponseHeaders) ? custom.ResponseHeaders.filter(isJsonObject) : [])
    headers[String(h.Name).toLowerCase()] = String(h.Value);
  return {
    kind: 'block',
    statusCode,
    contentType: isJsonObject(stored) ? (CONTENT_TYPES[String(stored.ContentType)] ?? 'text/plain') : 'text/plain',
    body: isJsonObject(stored) ? String(stored.Content) : '',
    headers,
  };
}

/**
 * Compiles the properties of an `AWS::WAFv2::WebACL`; its rate-based rules read the time from
 * `now`. Throws naming what it cannot evaluate.
 */
export function compileWebAcl(logicalId: string, properties: JsonObject, now: () => number = Date.now): WebAclModel {
  const where = `web ACL ${logicalId}`;
  const bodies = isJsonObject(properties.CustomResponseBodies) ? properties.CustomResponseBodies : {};
  const defaultAction =
    compileAction(properties.DefaultAction, bodies, `${where} DefaultAction`) ?? unsupported(where, 'a Count default action');
  const rules = (Array.isArray(properties.Rules) ? properties.Rules.filter(isJsonObject) : []).map((rule) => {
    const name = String(rule.Name);
    if (rule.OverrideAction !== undefined) unsupported(`${where} rule ${name}`, 'a rule group (OverrideAction)');
    return {
      name,
      priority: Number(rule.Priority),
      matches: compileStatement(rule.Statement, `${where} rule ${name}`, now),
      action: compileAction(rule.Action, bodies, `${where} rule ${name}`),
    };
  });
  return { logicalId, rules: [...rules].sort((a, b) => a.priority - b.priority), defaultAction };
}

/**
 * The HTTP answer the web ACL gives `request` when it blocks it (status, headers, body), or
 * undefined when it lets it through. Never throws.
 */
export function firewallRefusal(
  acl: WebAclModel | undefined,
  request: FirewallRequest,
): { readonly statusCode: number; readonly headers: Readonly<Record<string, string>>; readonly body: Buffer } | undefined {
  if (acl === undefined) return undefined;
  const verdict = evaluateWebAcl(acl, request);
  if (verdict.kind !== 'block') return undefined;
  return {
    statusCode: verdict.statusCode,
    headers: { ...verdict.headers, 'content-type': verdict.contentType },
    body: Buffer.from(verdict.body, 'utf8'),
  };
}

/** The action the web ACL takes on `request`: the first matching terminating rule's, else the default. Never throws. */
export function evaluateWebAcl(acl: WebAclModel, request: FirewallRequest): FirewallAction {
  for (const rule of acl.rules) if (rule.action !== undefined && rule.matches(request)) return rule.action;
  return acl.defaultAction;
}

/**
 * The web ACL associated (`AWS::WAFv2::WebACLAssociation`) with the stage `stageName` of the REST
 * API `restApiId`, compiled; undefined when none is. Throws when a web ACL uses what the stand-in
 * cannot evaluate, or more than one is associated with the stage.
 */
export function webAclForStage(resolver: TemplateResolver, restApiId: string, stageName: string): WebAclModel | undefined {
  const suffix = `/restapis/${restApiId}/stages/${stageName}`;
  return webAclFor(resolver, (arn) => arn.endsWith(suffix), `stage ${stageName} of API ${restApiId}`);
}

/**
 * The web ACL associated with the resource whose ARN `isResource` accepts (a REST API stage, a
 * load balancer), compiled; undefined when none is. Throws as {@link webAclForStage}.
 */
export function webAclFor(resolver: TemplateResolver, isResource: (arn: string) => boolean, what: string): WebAclModel | undefined {
  const found: WebAclModel[] = [];
  for (const link of resolver.resourcesOfType('AWS::WAFv2::WebACLAssociation')) {
    const arn = resolver.resolve(link.stackName, link.properties.ResourceArn ?? null, [
      'Resources',
      link.logicalId,
      'Properties',
      'ResourceArn',
    ]);
    if (typeof arn !== 'string' || !isResource(arn)) continue;
    const acl = aclOf(resolver, link);
    try {
      found.push(compileWebAcl(acl.logicalId, acl.properties));
    } catch (error) {
      if (error instanceof UnsupportedFirewallError) throw new Error(`${acl.stackName}: ${error.message}`, { cause: error });
      throw error;
    }
  }
  if (found.length > 1) throw new Error(`${what} has ${found.length} web ACLs; AWS allows one`);
  return found[0];
}

/** The web ACL an association names through `Fn::GetAtt [<logicalId>, Arn]`, in the association's stack. */
function aclOf(resolver: TemplateResolver, link: ResourceRecord): ResourceRecord {
  const ref = link.properties.WebACLArn;
  const getAtt = isJsonObject(ref) ? ref['Fn::GetAtt'] : undefined;
  const logicalId = Array.isArray(getAtt) && getAtt[1] === 'Arn' && typeof getAtt[0] === 'string' ? getAtt[0] : undefined;
  const acl = logicalId === undefined ? undefined : resolver.findResource(link.stackName, logicalId);
  if (acl === undefined || acl.type !== 'AWS::WAFv2::WebACL') {
    throw new Error(
      `${link.stackName}: web ACL association ${link.logicalId} must name a web ACL of its stack with Fn::GetAtt [id, Arn] to be served locally`,
    );
  }
  return acl;
}
