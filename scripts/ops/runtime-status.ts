/**
 * The local runtime's event-source mappings as another process sees them: `npm start` writes
 * `<local dir>/runtime-status.json` on every status tick, `npm run ops -- status` reads it (the
 * local stand-in for the consumers' `IteratorAge` metric).
 */
import * as fs from 'fs';
import * as path from 'path';
import { writeFileAtomic } from '../../local/esm';
import type { LocalRuntime } from '../../local/runtime';
import { eventSourceMappings } from '../../local/template';

/** What the file holds. */
export interface RuntimeStatus {
  readonly writtenAt: string;
  readonly mappings: ReadonlyArray<{
    readonly functionName: string;
    readonly shards: ReadonlyArray<{ readonly shardId: string; readonly millisBehindLatest: number; readonly checkpoint?: string }>;
  }>;
}

const FILE = 'runtime-status.json';

/** Writes the mappings' shard status of `runtime` to `<localDir>/runtime-status.json` (atomically). */
export async function writeRuntimeStatus(runtime: LocalRuntime, localDir: string): Promise<void> {
  const functionOf = new Map(eventSourceMappings(runtime.resolver).map((spec) => [spec.uuid, spec.functionName]));
  const status: RuntimeStatus = {
    writtenAt: new Date().toISOString(),
    mappings: runtime.mappings.map((mapping) => ({
      functionName: functionOf.get(mapping.id) ?? mapping.id,
      shards: mapping.status().map((s) => ({
        shardId: s.shardId,
        millisBehindLatest: s.millisBehindLatest,
        ...(s.checkpoint !== undefined ? { checkpoint: s.checkpoint } : {}),
      })),
    })),
  };
  await writeFileAtomic(path.join(localDir, FILE), `${JSON.stringify(status, null, 2)}\n`);
}

/** The last status written under `localDir`, or undefined when there is none. */
export function readRuntimeStatus(localDir: string): RuntimeStatus | undefined {
  const file = path.join(localDir, FILE);
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as RuntimeStatus) : undefined;
}
