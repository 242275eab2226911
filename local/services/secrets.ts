import * as crypto from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import { TemplateResolutionError, TemplateResolver } from '../template/resolver';
import { JsonValue, isJsonObject } from '../template/types';
import { DEFAULT_PORTS, LOCAL_HOST, RunningService, assertPortFree, closeHttpServer, listen } from './ports';

/** `GenerateSecretString` of `AWS::SecretsManager::Secret` (same field names). */
export interface GenerateSecretStringSpec {
  readonly PasswordLength?: number;
  readonly ExcludeCharacters?: string;
  readonly ExcludeLowercase?: boolean;
  readonly ExcludeUppercase?: boolean;
  readonly ExcludeNumbers?: boolean;
  readonly ExcludePunctuation?: boolean;
  readonly IncludeSpace?: boolean;
  readonly RequireEachIncludedType?: boolean;
  readonly SecretStringTemplate?: string;
  readonly GenerateStringKey?: string;
}

/** A secret to serve: its identity plus a fixed value or how to generate one. */
export interface SecretSpec {
  readonly arn: string;
  readonly name: string;
  readonly secretString?: string;
  readonly generate?: GenerateSecretStringSpec;
  readonly stackName?: string;
  readonly logicalId?: string;
}

/** The `AWS::SecretsManager::Secret` resources of the app as secret specs. */
export function secretsFromTemplate(resolver: TemplateResolver): SecretSpec[] {
  return resolver.resourcesOfType('AWS::SecretsManager::Secret').map((rec) => {
    const props = resolver.resolveProperties(rec);
    const g = props.GenerateSecretString;
    let generate: GenerateSecretStringSpec | undefined;
    if (isJsonObject(g)) {
      const bool = (v: JsonValue | undefined): boolean | undefined => (v === undefined ? undefined : v === true || v === 'true');
      const str = (v: JsonValue | undefined): string | undefined => (v === undefined || v === null ? undefined : String(v));
      generate = {
        PasswordLength: g.PasswordLength === undefined ? undefined : Number(g.PasswordLength),
        ExcludeCharacters: str(g.ExcludeCharacters),
        ExcludeLowercase: bool(g.ExcludeLowercase),
        ExcludeUppercase: bool(g.ExcludeUppercase),
        ExcludeNumbers: bool(g.ExcludeNumbers),
        ExcludePunctuation: bool(g.ExcludePunctuation),
        IncludeSpace: bool(g.IncludeSpace),
        RequireEachIncludedType: bool(g.RequireEachIncludedType),
        SecretStringTemplate: str(g.SecretStringTemplate),
        GenerateStringKey: str(g.GenerateStringKey),
      };
      if ((generate.SecretStringTemplate === undefined) !== (generate.GenerateStringKey === undefined)) {
        throw new TemplateResolutionError(
          rec.stackName,
          ['Resources', rec.logicalId, 'Properties', 'GenerateSecretString'],
          'SecretStringTemplate and GenerateStringKey must be given together',
        );
      }
    }
    const secretString = typeof props.SecretString === 'string' ? props.SecretString : undefined;
    return {
      arn: resolver.ref(rec.stackName, rec.logicalId),
      name: resolver.physicalName(rec.stackName, rec.logicalId),
      secretString,
      generate: secretString === undefined ? (generate ?? {}) : undefined,
      stackName: rec.stackName,
      logicalId: rec.logicalId,
    };
  });
}

const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const DIGITS = '0123456789';
/** The punctuation characters Secrets Manager draws from. */
const PUNCTUATION = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';

/** A random password following Secrets Manager's GetRandomPassword rules (defaults: 32 characters, every type required). */
export function generatePassword(spec: GenerateSecretStringSpec = {}, randomInt: (max: number) => number = crypto.randomInt): string {
  const length = spec.PasswordLength ?? 32;
  if (!Number.isInteger(length) || length < 1 || length > 4096) throw new Error(`PasswordLength must be 1..4096, got ${length}`);
  const excluded = new Set(spec.ExcludeCharacters ?? '');
  const keep = (set: string): string => [...set].filter((c) => !excluded.has(c)).join('');
  const groups = [
    spec.ExcludeLowercase ? '' : keep(LOWER),
    spec.ExcludeUppercase ? '' : keep(UPPER),
    spec.ExcludeNumbers ? '' : keep(DIGITS),
    spec.ExcludePunctuation ? '' : keep(PUNCTUATION),
    spec.IncludeSpace ? keep(' ') : '',
  ].filter((g) => g.length > 0);
  const all = groups.join('');
  if (all.length === 0) throw new Error('GenerateSecretString excludes every character');
  const chars: string[] = [];
  if (spec.RequireEachIncludedType ?? true) {
    if (groups.length > length)
      throw new Error(`PasswordLength ${length} is too short to include each of ${groups.length} character types`);
    for (const g of groups) chars.push(g[randomInt(g.length)]);
  }
  while (chars.length < length) chars.push(all[randomInt(all.length)]);
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j], chars[i]];
  }
  return chars.join('');
}

/** The secret string `GenerateSecretString` yields: a password, or the template JSON with the password under GenerateStringKey. */
export function generateSecretString(spec: GenerateSecretStringSpec = {}, randomInt?: (max: number) => number): string {
  const password = generatePassword(spec, randomInt);
  if (spec.SecretStringTemplate === undefined || spec.GenerateStringKey === undefined) return password;
  let template: JsonValue;
  try {
    template = JSON.parse(spec.SecretStringTemplate) as JsonValue;
  } catch {
    throw new Error('SecretStringTemplate is not valid JSON');
  }
  if (!isJsonObject(template)) throw new Error('SecretStringTemplate must be a JSON object');
  return JSON.stringify({ ...template, [spec.GenerateStringKey]: password });
}

/** One served secret version. */
export interface StoredSecret {
  readonly arn: string;
  readonly name: string;
  readonly secretString: string;
  readonly versionId: string;
  /** Seconds since the epoch. */
  readonly createdDate: number;
  /** Fingerprint of the generation settings (or the fixed value) the value came from. */
  readonly source: string;
}

interface SecretsFile {
  readonly version: 1;
  readonly secrets: Record<string, StoredSecret>;
}

function fingerprint(spec: SecretSpec): string {
  const basis = spec.secretString !== undefined ? { value: spec.secretString } : { generate: spec.generate ?? {} };
  return crypto.createHash('sha256').update(JSON.stringify(basis)).digest('hex').slice(0, 16);
}

function readSecretsFile(file: string): Record<string, StoredSecret> {
  if (!fs.existsSync(file)) return {};
  const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<SecretsFile>;
  return parsed.secrets ?? {};
}

function writeSecretsFile(file: string, secrets: Record<string, StoredSecret>): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  const body: SecretsFile = { version: 1, secrets };
  fs.writeFileSync(tmp, `${JSON.stringify(body, null, 2)}\n`, { mode: 0o600 });
  fs.renameSync(tmp, file);
}

/**
 * Values for `specs`: fixed values as given; generated values reused from `previous` while their
 * generation settings are unchanged (so a persisted key survives restarts), else generated anew.
 */
export function materializeSecrets(
  specs: readonly SecretSpec[],
  previous: Readonly<Record<string, StoredSecret>> = {},
): Record<string, StoredSecret> {
  const out: Record<string, StoredSecret> = {};
  for (const spec of specs) {
    const source = fingerprint(spec);
    const prev = previous[spec.arn];
    if (prev && prev.source === source) {
      out[spec.arn] = { ...prev, name: spec.name };
      continue;
    }
    out[spec.arn] = {
      arn: spec.arn,
      name: spec.name,
      secretString: spec.secretString ?? generateSecretString(spec.generate),
      versionId: crypto.randomUUID(),
      createdDate: Math.floor(Date.now() / 1000),
      source,
    };
  }
  return out;
}

export interface SecretsManagerOptions {
  /** Default 4584; 0 picks a free port. */
  readonly port?: number;
  readonly secrets?: readonly SecretSpec[];
  /** Persist secret values in `<persistDir>/secrets.json` so generated keys stay stable across restarts. */
  readonly persistDir?: string;
}

export interface RunningSecretsManager extends RunningService {
  readonly secrets: readonly StoredSecret[];
}

const JSON_11 = 'application/x-amz-json-1.1';
const MAX_BODY = 64 * 1024;

class ApiError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

function lookup(secrets: readonly StoredSecret[], id: string): StoredSecret | undefined {
  return secrets.find(
    (s) =>
      s.arn === id ||
      s.name === id ||
      // a partial ARN: the ARN without the 6-character random suffix
      (id.startsWith('arn:') && s.arn.length === id.length + 7 && s.arn.startsWith(`${id}-`)),
  );
}

function getSecretValue(secrets: readonly StoredSecret[], body: JsonValue): JsonValue {
  if (!isJsonObject(body) || typeof body.SecretId !== 'string' || body.SecretId.length === 0) {
    throw new ApiError('InvalidParameterException', 'You must provide a SecretId.');
  }
  const s = lookup(secrets, body.SecretId);
  if (!s) throw new ApiError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
  if (typeof body.VersionId === 'string' && body.VersionId !== s.versionId) {
    throw new ApiError(
      'ResourceNotFoundException',
      `Secrets Manager can't find the specified secret value for VersionId: ${body.VersionId}`,
    );
  }
  if (typeof body.VersionStage === 'string' && body.VersionStage !== 'AWSCURRENT') {
    throw new ApiError(
      'ResourceNotFoundException',
      `Secrets Manager can't find the specified secret value for staging label: ${body.VersionStage}`,
    );
  }
  return {
    ARN: s.arn,
    Name: s.name,
    SecretString: s.secretString,
    VersionId: s.versionId,
    VersionStages: ['AWSCURRENT'],
    CreatedDate: s.createdDate,
  };
}

function send(res: http.ServerResponse, status: number, body: JsonValue): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': JSON_11,
    'Content-Length': Buffer.byteLength(text),
    'x-amzn-RequestId': crypto.randomUUID(),
  });
  res.end(text);
}

/** Starts the Secrets Manager stand-in (AWS JSON 1.1, `GetSecretValue`) on 127.0.0.1. */
export async function startSecretsManager(options: SecretsManagerOptions = {}): Promise<RunningSecretsManager> {
  const port = options.port ?? DEFAULT_PORTS.secretsManager;
  const service = 'Secrets Manager stand-in';
  await assertPortFree(port, service);
  const file = options.persistDir ? path.join(options.persistDir, 'secrets.json') : undefined;
  const values = materializeSecrets(options.secrets ?? [], file ? readSecretsFile(file) : {});
  if (file) writeSecretsFile(file, values);
  const secrets = Object.values(values);

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('end', () => {
      try {
        if (req.method !== 'POST') throw new ApiError('UnknownOperationException', 'Only POST requests are supported.', 404);
        if (size > MAX_BODY) throw new ApiError('SerializationException', 'Request body too large.');
        const target = String(req.headers['x-amz-target'] ?? '');
        let body: JsonValue;
        try {
          const text = Buffer.concat(chunks).toString('utf8');
          body = text.trim() === '' ? {} : (JSON.parse(text) as JsonValue);
        } catch {
          throw new ApiError('SerializationException', 'Request body is not valid JSON.');
        }
        if (target !== 'secretsmanager.GetSecretValue') {
          throw new ApiError(
            'UnknownOperationException',
            `Operation ${target || '(none)'} is not supported by the local stand-in (only GetSecretValue).`,
          );
        }
        send(res, 200, getSecretValue(secrets, body));
      } catch (e) {
        if (e instanceof ApiError) send(res, e.status, { __type: e.type, Message: e.message });
        else send(res, 500, { __type: 'InternalServiceError', Message: (e as Error).message });
      }
    });
  });
  const bound = await listen(server, port, service);
  return {
    endpoint: `http://${LOCAL_HOST}:${bound}`,
    port: bound,
    secrets,
    stop: () => closeHttpServer(server),
  };
}
