import * as fs from 'fs';
import * as path from 'path';
import { DeleteObjectsCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { TemplateResolver } from './template/resolver';
import { isJsonObject, type JsonValue } from './template/types';

/** A `Custom::CDKBucketDeployment`: staged asset directories copied under a bucket prefix. */
export interface BucketDeploymentSpec {
  readonly logicalId: string;
  readonly bucket: string;
  readonly prefix: string;
  readonly prune: boolean;
  /** The source asset directories in the cloud assembly, in order. */
  readonly sources: ReadonlyArray<{ readonly dir: string; readonly markers: Readonly<Record<string, string>> }>;
}

const str = (v: JsonValue | undefined): string | undefined => (typeof v === 'string' ? v : undefined);

/**
 * The bucket deployments of the templates. A source `<hash>.zip` is the staged directory
 * `asset.<hash>` of the assembly; a source that is not staged as a directory is reported in
 * `skipped` (with why) rather than deployed in part.
 */
export function bucketDeploymentsFromTemplate(
  resolver: TemplateResolver,
  assemblyDir: string,
): { deployments: BucketDeploymentSpec[]; skipped: string[] } {
  const deployments: BucketDeploymentSpec[] = [];
  const skipped: string[] = [];
  for (const rec of resolver.resourcesOfType('Custom::CDKBucketDeployment')) {
    const p = resolver.resolveProperties(rec);
    const keys = Array.isArray(p.SourceObjectKeys) ? p.SourceObjectKeys.map((k) => str(k) ?? '') : [];
    const markers = Array.isArray(p.SourceMarkers) ? p.SourceMarkers : [];
    const sources = keys.map((key, i) => {
      const m = markers[i];
      const map: Record<string, string> = {};
      if (isJsonObject(m)) for (const [k, v] of Object.entries(m)) map[k] = typeof v === 'string' ? v : JSON.stringify(v);
      return { dir: path.join(assemblyDir, `asset.${key.replace(/\.zip$/, '')}`), markers: map };
    });
    const missing = sources.find((s) => !fs.existsSync(s.dir) || !fs.statSync(s.dir).isDirectory());
    if (missing) {
      skipped.push(`${rec.stackName}/${rec.logicalId}: source ${path.basename(missing.dir)} is not a staged directory`);
      continue;
    }
    const prefix = str(p.DestinationBucketKeyPrefix) ?? '';
    deployments.push({
      logicalId: rec.logicalId,
      bucket: str(p.DestinationBucketName) ?? '',
      prefix: prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`,
      prune: p.Prune !== false && p.Prune !== 'false',
      sources,
    });
  }
  return { deployments, skipped };
}

/** Every file under `dir`, as paths relative to it with `/`. */
function filesOf(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) walk(full);
      else out.push(path.relative(dir, full).split(path.sep).join('/'));
    }
  };
  walk(dir);
  return out.sort();
}

/**
 * Does what the deployment's custom resource does on create: puts every file of the sources under
 * the prefix (markers replaced by their values), then, with `prune`, deletes the other objects
 * under the prefix. Resolves with the keys written.
 */
export async function applyBucketDeployment(s3: S3Client, spec: BucketDeploymentSpec): Promise<string[]> {
  const written: string[] = [];
  for (const source of spec.sources) {
    for (const rel of filesOf(source.dir)) {
      let body: Buffer | string = fs.readFileSync(path.join(source.dir, rel));
      const entries = Object.entries(source.markers);
      if (entries.length > 0) {
        let text = body.toString('utf8');
        for (const [marker, value] of entries) text = text.split(marker).join(value);
        body = text;
      }
      const key = `${spec.prefix}${rel}`;
      await s3.send(new PutObjectCommand({ Bucket: spec.bucket, Key: key, Body: body }));
      written.push(key);
    }
  }
  if (spec.prune) {
    const stale: string[] = [];
    let token: string | undefined;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: spec.bucket, Prefix: spec.prefix, ContinuationToken: token }));
      for (const o of page.Contents ?? []) if (o.Key !== undefined && !written.includes(o.Key)) stale.push(o.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    if (stale.length > 0)
      await s3.send(new DeleteObjectsCommand({ Bucket: spec.bucket, Delete: { Objects: stale.map((Key) => ({ Key })) } }));
  }
  return written;
}
