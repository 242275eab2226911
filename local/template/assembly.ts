import * as fs from 'fs';
import * as path from 'path';
import { CfnTemplate, JsonObject, JsonValue, StackTemplate, isJsonObject } from './types';

/** The stacks of one synthesized app, read from a cloud assembly directory (`cdk.out`). */
export interface CloudAssembly {
  /** Absolute path of the root assembly directory. */
  readonly dir: string;
  /** Cloud assembly schema version from `manifest.json`. */
  readonly version?: string;
  /** Every `aws:cloudformation:stack` artifact, nested stage assemblies included, in manifest order. */
  readonly stacks: readonly StackTemplate[];
}

export interface LoadAssemblyOptions {
  /** Keep only stacks for which this returns true (e.g. one stage's prefix). */
  readonly filter?: (stack: StackTemplate) => boolean;
}

/** Raised when `cdk.out` is missing, unreadable or not a cloud assembly. */
export class CloudAssemblyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CloudAssemblyError';
  }
}

function readJson(file: string, what: string): JsonValue {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new CloudAssemblyError(`cannot read ${what} ${file}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text) as JsonValue;
  } catch (e) {
    throw new CloudAssemblyError(`${what} ${file} is not valid JSON: ${(e as Error).message}`);
  }
}

function asString(v: JsonValue | undefined): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** Checks the parts of a template the runtime relies on and returns it typed. */
export function parseTemplate(value: JsonValue, source: string): CfnTemplate {
  if (!isJsonObject(value)) throw new CloudAssemblyError(`template ${source} is not a JSON object`);
  const resources = value.Resources ?? {};
  if (!isJsonObject(resources)) throw new CloudAssemblyError(`template ${source}: Resources is not an object`);
  for (const [logicalId, res] of Object.entries(resources)) {
    if (!isJsonObject(res) || typeof res.Type !== 'string') {
      throw new CloudAssemblyError(`template ${source}: resource ${logicalId} has no Type`);
    }
    if (res.Properties !== undefined && !isJsonObject(res.Properties)) {
      throw new CloudAssemblyError(`template ${source}: ${logicalId}.Properties is not an object`);
    }
  }
  for (const section of ['Parameters', 'Mappings', 'Conditions', 'Outputs'] as const) {
    const s = value[section];
    if (s !== undefined && !isJsonObject(s)) throw new CloudAssemblyError(`template ${source}: ${section} is not an object`);
  }
  // The checks above establish the shape CfnTemplate describes.
  return { ...value, Resources: resources } as unknown as CfnTemplate;
}

function loadAssemblyDir(dir: string, seen: Set<string>, out: StackTemplate[]): string | undefined {
  const manifestPath = path.join(dir, 'manifest.json');
  if (!fs.existsSync(manifestPath)) {
    throw new CloudAssemblyError(`no cloud assembly at ${dir} (manifest.json missing) — run \`cdk synth\` first`);
  }
  const manifest = readJson(manifestPath, 'cloud assembly manifest');
  if (!isJsonObject(manifest)) throw new CloudAssemblyError(`${manifestPath} is not a JSON object`);
  const artifacts = manifest.artifacts ?? {};
  if (!isJsonObject(artifacts)) throw new CloudAssemblyError(`${manifestPath}: artifacts is not an object`);

  for (const [artifactId, artifact] of Object.entries(artifacts)) {
    if (!isJsonObject(artifact)) continue;
    const props: JsonObject = isJsonObject(artifact.properties) ? artifact.properties : {};
    if (artifact.type === 'cdk:cloud-assembly') {
      const sub = asString(props.directoryName);
      if (sub === undefined) continue;
      const subDir = path.resolve(dir, sub);
      if (seen.has(subDir)) continue;
      seen.add(subDir);
      loadAssemblyDir(subDir, seen, out);
      continue;
    }
    if (artifact.type !== 'aws:cloudformation:stack') continue;
    const templateFile = asString(props.templateFile);
    if (templateFile === undefined) {
      throw new CloudAssemblyError(`${manifestPath}: stack artifact ${artifactId} has no properties.templateFile`);
    }
    const templatePath = path.resolve(dir, templateFile);
    const template = parseTemplate(readJson(templatePath, 'template'), templatePath);
    const deps = Array.isArray(artifact.dependencies) ? artifact.dependencies.filter((d): d is string => typeof d === 'string') : [];
    out.push({
      stackName: asString(props.stackName) ?? artifactId,
      artifactId,
      displayName: asString(artifact.displayName) ?? artifactId,
      templatePath,
      assemblyDir: dir,
      dependencies: deps,
      template,
    });
  }
  return asString(manifest.version);
}

/** Reads `<dir>/manifest.json` and loads the template of every stack artifact (nested assemblies included). */
export function loadCloudAssembly(dir: string, options: LoadAssemblyOptions = {}): CloudAssembly {
  const root = path.resolve(dir);
  const stacks: StackTemplate[] = [];
  const version = loadAssemblyDir(root, new Set([root]), stacks);
  const names = new Map<string, string>();
  for (const s of stacks) {
    const prev = names.get(s.stackName);
    if (prev !== undefined) {
      throw new CloudAssemblyError(`two stacks are named ${s.stackName} (${prev} and ${s.templatePath}); synthesize one stage per run`);
    }
    names.set(s.stackName, s.templatePath);
  }
  const kept = options.filter ? stacks.filter(options.filter) : stacks;
  return { dir: root, version, stacks: kept };
}
