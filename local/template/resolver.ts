import { CloudAssembly } from './assembly';
import { RESOURCE_TYPES, ResourceContext, deterministicId, deterministicUuid, generatedName, isCustomResourceType } from './resource-types';
import { CfnResource, JsonObject, JsonValue, StackTemplate, isJsonObject } from './types';

/**
 * The intrinsic functions the resolver evaluates: the ones this app's synthesized templates use
 * in resources, outputs and conditions. Any other fails with an error naming it and its path.
 */
export const SUPPORTED_INTRINSICS = [
  'Ref',
  'Fn::GetAtt',
  'Fn::Join',
  'Fn::Sub',
  'Fn::ImportValue',
  'Fn::Equals',
  'Fn::Or',
  'Fn::FindInMap',
] as const;

export interface ResolverOptions {
  /** Region of every stack; default `us-east-1`. */
  readonly region?: string;
  /** Account id of every stack; default `000000000000`. */
  readonly accountId?: string;
  /** Default `aws`. */
  readonly partition?: string;
  /** Default `amazonaws.com`. */
  readonly urlSuffix?: string;
  /** Parameter values by parameter name (all stacks); they win over `Default`. */
  readonly parameters?: Readonly<Record<string, string>>;
  /** Base of queue URLs returned by `Ref` on `AWS::SQS::Queue`; default `https://sqs.<region>.<urlSuffix>`. */
  readonly queueUrlBase?: string;
}

/** One resource of one stack, as written in its template. */
export interface ResourceRecord {
  readonly stackName: string;
  readonly logicalId: string;
  readonly type: string;
  /** Properties as written (intrinsics unresolved). */
  readonly properties: JsonObject;
  readonly metadata: JsonObject;
  readonly condition?: string;
  readonly stack: StackTemplate;
}

/** A stack output with its value resolved, or the reason it could not be. */
export interface ResolvedOutput {
  readonly stackName: string;
  readonly outputName: string;
  readonly value?: string;
  readonly description?: string;
  readonly exportName?: string;
  readonly error?: string;
}

type PathSegment = string | number;

/** Raised when a template value cannot be resolved; the message names stack and property path. */
export class TemplateResolutionError extends Error {
  constructor(
    readonly stackName: string,
    readonly path: readonly PathSegment[],
    readonly detail: string,
  ) {
    super(`${stackName}: ${formatPath(path)}: ${detail}`);
    this.name = 'TemplateResolutionError';
  }
}

/** `['Resources','Fn','Properties','Env',0]` → `Resources.Fn.Properties.Env[0]`. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out.length === 0 ? seg : `.${seg}`;
  }
  return out.length > 0 ? out : '(template)';
}

const NO_VALUE: unique symbol = Symbol('AWS::NoValue');
type Resolved = JsonValue | typeof NO_VALUE;

interface Ctx {
  readonly stackName: string;
  readonly path: readonly PathSegment[];
}

function at(ctx: Ctx, ...segments: PathSegment[]): Ctx {
  return { stackName: ctx.stackName, path: [...ctx.path, ...segments] };
}

function fail(ctx: Ctx, detail: string): never {
  throw new TemplateResolutionError(ctx.stackName, ctx.path, detail);
}

function describe(v: Resolved): string {
  if (v === NO_VALUE) return 'AWS::NoValue';
  const s = JSON.stringify(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

function scalarString(v: Resolved, ctx: Ctx, what: string): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return fail(ctx, `${what} must resolve to a string, got ${describe(v)}`);
}

function key(stackName: string, logicalId: string): string {
  return `${stackName}\u0000${logicalId}`;
}

/**
 * Index of every resource of the loaded stacks plus an evaluator of CloudFormation intrinsic
 * functions over it. Physical names are deterministic (derived from stack name and logical id
 * unless the template names the resource), so persisted local data lines up across restarts.
 */
export class TemplateResolver {
  readonly region: string;
  readonly accountId: string;
  readonly partition: string;
  readonly urlSuffix: string;
  private readonly queueUrlBase: string;
  private readonly parameterOverrides: Readonly<Record<string, string>>;
  private readonly stacksByName = new Map<string, StackTemplate>();
  private readonly records = new Map<string, ResourceRecord>();
  private readonly names = new Map<string, string>();
  private readonly namesInProgress = new Set<string>();
  private readonly conditions = new Map<string, boolean>();
  private readonly conditionsInProgress = new Set<string>();
  private exportIndex?: Map<string, { stackName: string; outputName: string }>;
  private identifierIndex?: Map<string, ResourceRecord>;

  constructor(stacks: readonly StackTemplate[], options: ResolverOptions = {}) {
    this.region = options.region ?? 'us-east-1';
    this.accountId = options.accountId ?? '000000000000';
    this.partition = options.partition ?? 'aws';
    this.urlSuffix = options.urlSuffix ?? 'amazonaws.com';
    this.queueUrlBase = (options.queueUrlBase ?? `https://sqs.${this.region}.${this.urlSuffix}`).replace(/\/+$/, '');
    this.parameterOverrides = options.parameters ?? {};
    for (const stack of stacks) {
      if (this.stacksByName.has(stack.stackName)) throw new Error(`duplicate stack name ${stack.stackName}`);
      this.stacksByName.set(stack.stackName, stack);
      for (const [logicalId, res] of Object.entries(stack.template.Resources)) {
        this.records.set(key(stack.stackName, logicalId), toRecord(stack, logicalId, res));
      }
    }
  }

  /** A resolver over every stack of a loaded cloud assembly. */
  static fromAssembly(assembly: CloudAssembly, options: ResolverOptions = {}): TemplateResolver {
    return new TemplateResolver(assembly.stacks, options);
  }

  /** Names of the loaded stacks, in load order. */
  stackNames(): string[] {
    return [...this.stacksByName.keys()];
  }

  /** The loaded stack called `stackName`; throws when there is none. */
  stack(stackName: string): StackTemplate {
    const s = this.stacksByName.get(stackName);
    if (!s) throw new Error(`no stack named ${stackName} (loaded: ${this.stackNames().join(', ') || 'none'})`);
    return s;
  }

  /** Every resource of every stack whose `Condition` (if any) is true. */
  resources(options: { includeDisabled?: boolean } = {}): ResourceRecord[] {
    const all = [...this.records.values()];
    return options.includeDisabled ? all : all.filter((r) => this.isEnabled(r));
  }

  /** The enabled resources of one CloudFormation type, e.g. `AWS::Kinesis::Stream`. */
  resourcesOfType(type: string): ResourceRecord[] {
    return this.resources().filter((r) => r.type === type);
  }

  /** The resource `logicalId` of `stackName`, or undefined. */
  findResource(stackName: string, logicalId: string): ResourceRecord | undefined {
    return this.records.get(key(stackName, logicalId));
  }

  /** The resource `logicalId` of `stackName`; throws when there is none. */
  resource(stackName: string, logicalId: string): ResourceRecord {
    const r = this.findResource(stackName, logicalId);
    if (!r) throw new Error(`${stackName}: no resource ${logicalId}`);
    return r;
  }

  /** False when the resource has a `Condition` that evaluates to false (CloudFormation would not create it). */
  isEnabled(record: ResourceRecord): boolean {
    if (record.condition === undefined) return true;
    return this.evaluateCondition(record.stackName, record.condition, {
      stackName: record.stackName,
      path: ['Resources', record.logicalId, 'Condition'],
    });
  }

  /** The local physical name of a resource: its explicit name property, else a deterministic generated name. */
  physicalName(stackName: string, logicalId: string): string {
    const k = key(stackName, logicalId);
    const cached = this.names.get(k);
    if (cached !== undefined) return cached;
    const rec = this.resource(stackName, logicalId);
    const rule = RESOURCE_TYPES[rec.type]?.name;
    if (this.namesInProgress.has(k)) {
      fail({ stackName, path: ['Resources', logicalId] }, 'circular reference while resolving the resource name');
    }
    this.namesInProgress.add(k);
    try {
      let name: string | undefined;
      if (rule?.property) {
        let raw: JsonValue | undefined = rec.properties;
        for (const p of rule.property) raw = isJsonObject(raw) ? raw[p] : undefined;
        if (raw !== undefined) {
          const ctx: Ctx = { stackName, path: ['Resources', logicalId, 'Properties', ...rule.property] };
          const v = this.resolveIn(raw, ctx);
          if (v !== NO_VALUE) name = scalarString(v, ctx, 'the resource name');
        }
      }
      if (name === undefined) {
        let fifo = false;
        if (rule?.fifoProperty) {
          const f = this.resolveProperty(rec, rule.fifoProperty);
          fifo = f === true || f === 'true';
        }
        name = generatedName(stackName, logicalId, rule, fifo);
      }
      this.names.set(k, name);
      return name;
    } finally {
      this.namesInProgress.delete(k);
    }
  }

  /** What `{"Ref": logicalId}` returns for a resource of `stackName`. */
  ref(stackName: string, logicalId: string): string {
    return this.refResource({ stackName, path: ['Resources', logicalId] }, logicalId);
  }

  /** What `{"Fn::GetAtt": [logicalId, attribute]}` returns; throws naming resource and attribute when unsupported. */
  getAtt(stackName: string, logicalId: string, attribute: string): JsonValue {
    return this.getAttIn({ stackName, path: ['Resources', logicalId] }, logicalId, attribute);
  }

  /** Resolves every intrinsic function in `value`, evaluated in the context of `stackName`. */
  resolve(stackName: string, value: JsonValue, path: readonly PathSegment[] = []): JsonValue | undefined {
    this.stack(stackName);
    const v = this.resolveIn(value, { stackName, path });
    return v === NO_VALUE ? undefined : v;
  }

  /** All properties of a resource, resolved (`AWS::NoValue` entries removed). */
  resolveProperties(record: ResourceRecord): JsonObject {
    const v = this.resolveIn(record.properties, {
      stackName: record.stackName,
      path: ['Resources', record.logicalId, 'Properties'],
    });
    return isJsonObject(v === NO_VALUE ? undefined : v) ? (v as JsonObject) : {};
  }

  /** One property of a resource, resolved; undefined when absent or `AWS::NoValue`. */
  resolveProperty(record: ResourceRecord, name: string): JsonValue | undefined {
    const raw = record.properties[name];
    if (raw === undefined) return undefined;
    const v = this.resolveIn(raw, { stackName: record.stackName, path: ['Resources', record.logicalId, 'Properties', name] });
    return v === NO_VALUE ? undefined : v;
  }

  /** Value of a named condition of `stackName`. */
  condition(stackName: string, name: string): boolean {
    return this.evaluateCondition(stackName, name, { stackName, path: ['Conditions', name] });
  }

  /** The outputs of `stackName` (those whose condition holds), each resolved or with the error that prevented it. */
  outputs(stackName: string): ResolvedOutput[] {
    const stack = this.stack(stackName);
    const out: ResolvedOutput[] = [];
    for (const [outputName, o] of Object.entries(stack.template.Outputs ?? {})) {
      const ctx: Ctx = { stackName, path: ['Outputs', outputName] };
      try {
        if (o.Condition !== undefined && !this.evaluateCondition(stackName, o.Condition, at(ctx, 'Condition'))) continue;
      } catch (e) {
        out.push({ stackName, outputName, description: o.Description, error: (e as Error).message });
        continue;
      }
      let exportName: string | undefined;
      try {
        if (o.Export)
          exportName = scalarString(this.resolveIn(o.Export.Name, at(ctx, 'Export', 'Name')), at(ctx, 'Export', 'Name'), 'Export.Name');
        const v = this.resolveIn(o.Value, at(ctx, 'Value'));
        const value = Array.isArray(v)
          ? v.map((x) => scalarString(x, at(ctx, 'Value'), 'output list item')).join(',')
          : scalarString(v, at(ctx, 'Value'), 'Value');
        out.push({ stackName, outputName, value, description: o.Description, exportName });
      } catch (e) {
        out.push({ stackName, outputName, description: o.Description, exportName, error: (e as Error).message });
      }
    }
    return out;
  }

  /** Every export name of the loaded stacks with the stack and output that declare it. */
  exports(): Map<string, { stackName: string; outputName: string }> {
    if (this.exportIndex) return this.exportIndex;
    const index = new Map<string, { stackName: string; outputName: string }>();
    this.exportIndex = index; // guards against export names that import
    try {
      for (const stack of this.stacksByName.values()) {
        for (const [outputName, o] of Object.entries(stack.template.Outputs ?? {})) {
          if (!o.Export) continue;
          const ctx: Ctx = { stackName: stack.stackName, path: ['Outputs', outputName, 'Export', 'Name'] };
          const name = scalarString(this.resolveIn(o.Export.Name, ctx), ctx, 'Export.Name');
          const prev = index.get(name);
          if (prev) fail(ctx, `export name ${name} is also exported by ${prev.stackName} (output ${prev.outputName})`);
          index.set(name, { stackName: stack.stackName, outputName });
        }
      }
    } catch (e) {
      this.exportIndex = undefined;
      throw e;
    }
    return index;
  }

  /**
   * The resource a resolved identifier points at: a name, `Ref` value or ARN-like attribute
   * (Arn, StreamArn, QueueUrl, TopicArn, …) of some enabled resource; undefined if none.
   */
  findByIdentifier(identifier: string): ResourceRecord | undefined {
    if (!this.identifierIndex) {
      const index = new Map<string, ResourceRecord>();
      for (const rec of this.resources()) {
        const candidates: Array<() => JsonValue> = [
          () => this.ref(rec.stackName, rec.logicalId),
          () => this.physicalName(rec.stackName, rec.logicalId),
        ];
        const attrs = RESOURCE_TYPES[rec.type]?.attributes ?? {};
        for (const a of Object.keys(attrs)) {
          if (/(Arn|ARN|Url|URL)$/.test(a)) candidates.push(() => this.getAtt(rec.stackName, rec.logicalId, a));
        }
        for (const c of candidates) {
          try {
            const v = c();
            if (typeof v === 'string' && v.length > 0 && !index.has(v)) index.set(v, rec);
          } catch {
            // an attribute that cannot be computed for this resource simply is not an identifier
          }
        }
      }
      this.identifierIndex = index;
    }
    return this.identifierIndex.get(identifier);
  }

  // ---------------------------------------------------------------- internals

  private context(rec: ResourceRecord): ResourceContext {
    const physicalName = () => this.physicalName(rec.stackName, rec.logicalId);
    return {
      stackName: rec.stackName,
      logicalId: rec.logicalId,
      type: rec.type,
      get name() {
        return physicalName();
      },
      region: this.region,
      accountId: this.accountId,
      partition: this.partition,
      urlSuffix: this.urlSuffix,
      queueUrlBase: this.queueUrlBase,
      rawProperties: rec.properties,
      prop: (name) => this.resolveProperty(rec, name),
      id: (length, alphabet, salt = '') => deterministicId(`id|${salt}|${rec.stackName}|${rec.logicalId}`, length, alphabet),
    };
  }

  private enabledRecord(ctx: Ctx, logicalId: string, fn: string): ResourceRecord {
    const rec = this.findResource(ctx.stackName, logicalId);
    if (!rec) {
      const hint = this.stack(ctx.stackName).template.Parameters?.[logicalId] ? ' (it is a parameter)' : '';
      fail(ctx, `${fn}: no resource ${logicalId} in stack ${ctx.stackName}${hint}`);
    }
    if (!this.isEnabled(rec)) {
      fail(ctx, `${fn}: resource ${logicalId} is not created (its condition ${rec.condition} is false)`);
    }
    return rec;
  }

  private refResource(ctx: Ctx, logicalId: string): string {
    const rec = this.enabledRecord(ctx, logicalId, 'Ref');
    const spec = RESOURCE_TYPES[rec.type];
    if (!spec?.ref) return this.physicalName(rec.stackName, rec.logicalId);
    const v = spec.ref(this.context(rec));
    return scalarString(v, ctx, `Ref ${logicalId}`);
  }

  private getAttIn(ctx: Ctx, logicalId: string, attribute: string): JsonValue {
    const rec = this.enabledRecord(ctx, logicalId, 'Fn::GetAtt');
    if (isCustomResourceType(rec.type)) {
      fail(
        ctx,
        `Fn::GetAtt ${logicalId}.${attribute}: attribute ${attribute} of custom resource ${logicalId} (${rec.type}) is computed by its handler at deploy time; the local runtime cannot know it`,
      );
    }
    const spec = RESOURCE_TYPES[rec.type];
    const getter = spec?.attributes[attribute];
    if (!getter) {
      const known = Object.keys(spec?.attributes ?? {});
      fail(
        ctx,
        `Fn::GetAtt ${logicalId}.${attribute}: attribute ${attribute} of ${rec.type} (resource ${logicalId}) is not supported by the local runtime` +
          (known.length > 0 ? ` (supported: ${known.join(', ')})` : ' (no attributes of this type are supported)'),
      );
    }
    try {
      return getter(this.context(rec));
    } catch (e) {
      if (e instanceof TemplateResolutionError) throw e;
      return fail(ctx, `Fn::GetAtt ${logicalId}.${attribute}: ${(e as Error).message}`);
    }
  }

  private refName(ctx: Ctx, name: string): Resolved {
    switch (name) {
      case 'AWS::Region':
        return this.region;
      case 'AWS::AccountId':
        return this.accountId;
      case 'AWS::Partition':
        return this.partition;
      case 'AWS::URLSuffix':
        return this.urlSuffix;
      case 'AWS::StackName':
        return ctx.stackName;
      case 'AWS::StackId':
        return `arn:${this.partition}:cloudformation:${this.region}:${this.accountId}:stack/${ctx.stackName}/${deterministicUuid(`stack|${ctx.stackName}`)}`;
      case 'AWS::NoValue':
        return NO_VALUE;
      case 'AWS::NotificationARNs':
        return [];
      default:
        break;
    }
    if (name.startsWith('AWS::')) fail(ctx, `Ref: unknown pseudo parameter ${name}`);
    const param = this.stack(ctx.stackName).template.Parameters?.[name];
    if (param) return this.parameterValue(ctx, name, param.Type, param.Default);
    return this.refResource(ctx, name);
  }

  private parameterValue(ctx: Ctx, name: string, type: string, def: JsonValue | undefined): Resolved {
    const override = this.parameterOverrides[name];
    if (override === undefined && type.startsWith('AWS::SSM::Parameter::Value')) {
      fail(
        ctx,
        `Ref: parameter ${name} takes its value from SSM parameter ${describe(def ?? null)}; pass its value in the resolver's parameters option`,
      );
    }
    const v = override ?? def;
    if (v === undefined || v === null)
      fail(ctx, `Ref: parameter ${name} has no Default; pass its value in the resolver's parameters option`);
    const s = Array.isArray(v) ? v.map(String).join(',') : String(v);
    if (type === 'CommaDelimitedList' || type.startsWith('List<')) return s.length === 0 ? [] : s.split(',').map((x) => x.trim());
    return s;
  }

  private evaluateCondition(stackName: string, name: string, ctx: Ctx): boolean {
    const k = key(stackName, name);
    const cached = this.conditions.get(k);
    if (cached !== undefined) return cached;
    const expr = this.stack(stackName).template.Conditions?.[name];
    if (expr === undefined) fail(ctx, `no condition named ${name} in stack ${stackName}`);
    if (this.conditionsInProgress.has(k)) fail(ctx, `condition ${name} refers to itself`);
    this.conditionsInProgress.add(k);
    try {
      const v = this.conditionValue(expr, { stackName, path: ['Conditions', name] });
      this.conditions.set(k, v);
      return v;
    } finally {
      this.conditionsInProgress.delete(k);
    }
  }

  /** A condition expression: a condition function, `{Condition: name}`, or a value resolving to true/false. */
  private conditionValue(expr: JsonValue, ctx: Ctx): boolean {
    if (isJsonObject(expr)) {
      const keys = Object.keys(expr);
      if (keys.length === 1 && keys[0] === 'Condition') {
        const name = expr.Condition;
        if (typeof name !== 'string') fail(at(ctx, 'Condition'), 'Condition must name a condition');
        return this.evaluateCondition(ctx.stackName, name, at(ctx, 'Condition'));
      }
    }
    const v = this.resolveIn(expr, ctx);
    if (v === true || v === 'true') return true;
    if (v === false || v === 'false') return false;
    return fail(ctx, `condition must evaluate to true or false, got ${describe(v)}`);
  }

  private resolveIn(value: JsonValue, ctx: Ctx): Resolved {
    if (Array.isArray(value)) {
      const out: JsonValue[] = [];
      value.forEach((item, i) => {
        const v = this.resolveIn(item, at(ctx, i));
        if (v !== NO_VALUE) out.push(v);
      });
      return out;
    }
    if (isJsonObject(value)) {
      const keys = Object.keys(value);
      if (keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::'))) {
        return this.intrinsic(keys[0], value[keys[0]], at(ctx, keys[0]));
      }
      const out: JsonObject = {};
      for (const k of keys) {
        const v = this.resolveIn(value[k], at(ctx, k));
        if (v !== NO_VALUE) out[k] = v;
      }
      return out;
    }
    return value;
  }

  private resolveString(value: JsonValue, ctx: Ctx, what: string): string {
    return scalarString(this.resolveIn(value, ctx), ctx, what);
  }

  private resolveList(value: JsonValue, ctx: Ctx, what: string): JsonValue[] {
    const v = this.resolveIn(value, ctx);
    if (!Array.isArray(v)) fail(ctx, `${what} must resolve to a list, got ${describe(v)}`);
    return v;
  }

  private args(arg: JsonValue, ctx: Ctx, fn: string, min: number, max = min): JsonValue[] {
    if (!Array.isArray(arg) || arg.length < min || arg.length > max) {
      const n = min === max ? `${min}` : `${min} to ${max}`;
      fail(ctx, `${fn} takes a list of ${n} arguments, got ${describe(arg)}`);
    }
    return arg;
  }

  private intrinsic(fn: string, arg: JsonValue, ctx: Ctx): Resolved {
    switch (fn) {
      case 'Ref': {
        const name = typeof arg === 'string' ? arg : this.resolveString(arg, ctx, 'Ref target');
        return this.refName(ctx, name);
      }
      case 'Fn::GetAtt': {
        let logicalId: string;
        let attribute: string;
        if (typeof arg === 'string') {
          const dot = arg.indexOf('.');
          if (dot <= 0) fail(ctx, `Fn::GetAtt takes "Logical.Attribute" or [Logical, Attribute], got ${describe(arg)}`);
          logicalId = arg.slice(0, dot);
          attribute = arg.slice(dot + 1);
        } else {
          const [l, a] = this.args(arg, ctx, 'Fn::GetAtt', 2);
          if (typeof l !== 'string') fail(at(ctx, 0), 'Fn::GetAtt logical id must be a string');
          logicalId = l;
          attribute = this.resolveString(a, at(ctx, 1), 'Fn::GetAtt attribute');
        }
        return this.getAttIn(ctx, logicalId, attribute);
      }
      case 'Fn::Join': {
        const [delim, list] = this.args(arg, ctx, 'Fn::Join', 2);
        if (typeof delim !== 'string') fail(at(ctx, 0), 'Fn::Join delimiter must be a string');
        const items = this.resolveList(list, at(ctx, 1), 'Fn::Join list');
        return items.map((x, i) => scalarString(x, at(ctx, 1, i), 'Fn::Join item')).join(delim);
      }
      case 'Fn::Sub':
        return this.sub(arg, ctx);
      case 'Fn::Equals': {
        const [a, b] = this.args(arg, ctx, 'Fn::Equals', 2);
        return comparable(this.resolveIn(a, at(ctx, 0))) === comparable(this.resolveIn(b, at(ctx, 1)));
      }
      case 'Fn::Or': {
        const conds = this.args(arg, ctx, fn, 2, 10);
        return conds.map((c, i) => this.conditionValue(c, at(ctx, i))).some(Boolean);
      }
      case 'Fn::FindInMap': {
        const [map, top, second] = this.args(arg, ctx, fn, 3);
        const mapName = this.resolveString(map, at(ctx, 0), 'Fn::FindInMap map name');
        const topKey = this.resolveString(top, at(ctx, 1), 'Fn::FindInMap top-level key');
        const secondKey = this.resolveString(second, at(ctx, 2), 'Fn::FindInMap second-level key');
        const value = this.stack(ctx.stackName).template.Mappings?.[mapName]?.[topKey]?.[secondKey];
        if (value === undefined) fail(ctx, `Fn::FindInMap: mapping ${mapName} has no ${topKey}.${secondKey}`);
        return this.resolveIn(value, at(ctx, 2));
      }
      case 'Fn::ImportValue': {
        const name = this.resolveString(arg, ctx, 'Fn::ImportValue name');
        const exp = this.exports().get(name);
        if (!exp) {
          const known = [...this.exports().keys()];
          fail(
            ctx,
            `Fn::ImportValue: no loaded stack exports ${name}` + (known.length > 0 ? ` (exports: ${known.join(', ')})` : ' (no exports)'),
          );
        }
        const output = this.stack(exp.stackName).template.Outputs?.[exp.outputName];
        if (!output) fail(ctx, `Fn::ImportValue: output ${exp.outputName} vanished from ${exp.stackName}`);
        return this.resolveIn(output.Value, { stackName: exp.stackName, path: ['Outputs', exp.outputName, 'Value'] });
      }
      default:
        return fail(
          ctx,
          `unsupported intrinsic function ${fn} (the local runtime resolves only what this app's templates use: ${SUPPORTED_INTRINSICS.join(', ')})`,
        );
    }
  }

  private sub(arg: JsonValue, ctx: Ctx): string {
    let template: JsonValue;
    const vars = new Map<string, string>();
    if (typeof arg === 'string') {
      template = arg;
    } else {
      const [t, v] = this.args(arg, ctx, 'Fn::Sub', 2);
      template = t;
      if (!isJsonObject(v)) fail(at(ctx, 1), 'Fn::Sub variables must be an object');
      for (const [name, value] of Object.entries(v)) {
        vars.set(name, this.resolveString(value, at(ctx, 1, name), `Fn::Sub variable ${name}`));
      }
    }
    if (typeof template !== 'string') fail(ctx, 'Fn::Sub template must be a string');
    let out = '';
    let i = 0;
    while (i < template.length) {
      const start = template.indexOf('${', i);
      if (start < 0) {
        out += template.slice(i);
        break;
      }
      const end = template.indexOf('}', start + 2);
      if (end < 0) {
        out += template.slice(i);
        break;
      }
      out += template.slice(i, start);
      const body = template.slice(start + 2, end);
      i = end + 1;
      if (body.startsWith('!')) {
        out += `\${${body.slice(1)}}`;
        continue;
      }
      const name = body.trim();
      const fromVars = vars.get(name);
      if (fromVars !== undefined) {
        out += fromVars;
      } else if (!name.startsWith('AWS::') && name.includes('.')) {
        const dot = name.indexOf('.');
        out += scalarString(this.getAttIn(ctx, name.slice(0, dot), name.slice(dot + 1)), ctx, `\${${name}}`);
      } else {
        out += scalarString(this.refName(ctx, name), ctx, `\${${name}}`);
      }
    }
    return out;
  }
}

function comparable(v: Resolved): string {
  if (v === NO_VALUE) return '\u0000novalue';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

function toRecord(stack: StackTemplate, logicalId: string, res: CfnResource): ResourceRecord {
  return {
    stackName: stack.stackName,
    logicalId,
    type: res.Type,
    properties: res.Properties ?? {},
    metadata: res.Metadata ?? {},
    condition: res.Condition,
    stack,
  };
}
