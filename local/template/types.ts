/**
 * Types of the CloudFormation template subset the local runtime reads.
 * Templates are parsed from JSON, so every value is a JSON value; intrinsic functions are
 * objects with a single `Ref` / `Fn::*` key.
 */

export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: JsonObject;
  readonly Metadata?: JsonObject;
  readonly Condition?: string;
  readonly DependsOn?: string | string[];
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
}

export interface CfnParameter {
  readonly Type: string;
  readonly Default?: JsonValue;
  readonly Description?: string;
  readonly AllowedValues?: JsonValue[];
  readonly NoEcho?: boolean;
}

export interface CfnOutput {
  readonly Value: JsonValue;
  readonly Description?: string;
  readonly Export?: { readonly Name: JsonValue };
  readonly Condition?: string;
}

export interface CfnTemplate {
  readonly AWSTemplateFormatVersion?: string;
  readonly Description?: string;
  readonly Transform?: JsonValue;
  readonly Parameters?: Record<string, CfnParameter>;
  readonly Mappings?: Record<string, Record<string, Record<string, JsonValue>>>;
  readonly Conditions?: Record<string, JsonValue>;
  readonly Resources: Record<string, CfnResource>;
  readonly Outputs?: Record<string, CfnOutput>;
  readonly Rules?: JsonValue;
}

/** One stack of the app with its parsed template. */
export interface StackTemplate {
  /** The deployed stack name (`properties.stackName` of the artifact, else the artifact id). */
  readonly stackName: string;
  /** The artifact id in `manifest.json`. */
  readonly artifactId: string;
  /** Human name (`displayName`), e.g. `uba-dev-data` or `Stage/Stack`. */
  readonly displayName: string;
  /** Absolute path of the template file. */
  readonly templatePath: string;
  /** Absolute directory of the cloud assembly the template belongs to (asset paths are relative to it). */
  readonly assemblyDir: string;
  /** Artifact ids this stack depends on (from the manifest). */
  readonly dependencies: readonly string[];
  readonly template: CfnTemplate;
}

/** True when `v` is a plain JSON object (not an array, not null). */
export function isJsonObject(v: JsonValue | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
