/**
 * Where the mapping keeps its per-shard checkpoints (last processed sequence number and the
 * tumbling window in progress): in memory, or in one JSON file per mapping that is replaced
 * atomically (write to a temporary file, fsync, rename, fsync the directory).
 */
import { randomBytes } from 'crypto';
import { promises as fsp } from 'fs';
import * as path from 'path';
import type { ShardCheckpoint } from './types';

/** Pluggable checkpoint storage, keyed by mapping id and shard id. */
export interface CheckpointStore {
  load(mappingId: string, shardId: string): Promise<ShardCheckpoint | undefined>;
  save(mappingId: string, shardId: string, checkpoint: ShardCheckpoint): Promise<void>;
}

/** Checkpoints held in memory (lost when the process ends). */
export class MemoryCheckpointStore implements CheckpointStore {
  private readonly data = new Map<string, ShardCheckpoint>();

  async load(mappingId: string, shardId: string): Promise<ShardCheckpoint | undefined> {
    const cp = this.data.get(`${mappingId}\u0000${shardId}`);
    return cp ? structuredClone(cp) : undefined;
  }

  async save(mappingId: string, shardId: string, checkpoint: ShardCheckpoint): Promise<void> {
    this.data.set(`${mappingId}\u0000${shardId}`, structuredClone(checkpoint));
  }
}

interface CheckpointFile {
  readonly version: 1;
  readonly mappingId: string;
  readonly updatedAt: string;
  readonly shards: Record<string, ShardCheckpoint>;
}

interface FileEntry {
  shards: Record<string, ShardCheckpoint>;
  loaded: Promise<void>;
  /** Tail of the write chain. */
  chain: Promise<void>;
  /** A write queued but not started yet: later saves ride along with it. */
  queued: Promise<void> | undefined;
}

/** Turns a mapping id into a safe file name. */
export function checkpointFileName(mappingId: string): string {
  return `${mappingId.replace(/[^A-Za-z0-9._-]/g, '_')}.checkpoint.json`;
}

/** Replaces `file` with `content` atomically and durably. */
export async function writeFileAtomic(file: string, content: string): Promise<void> {
  const dir = path.dirname(file);
  await fsp.mkdir(dir, { recursive: true });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const handle = await fsp.open(tmp, 'w');
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await fsp.rename(tmp, file);
  } catch (err) {
    await fsp.rm(tmp, { force: true });
    throw err;
  }
  try {
    const dirHandle = await fsp.open(dir, 'r');
    try {
      await dirHandle.sync();
    } finally {
      await dirHandle.close();
    }
  } catch {
    // Directories cannot be fsync'ed on every platform; the rename is still atomic.
  }
}

/** Checkpoints persisted under a directory (`--persist DIR`), one file per mapping. */
export class FileCheckpointStore implements CheckpointStore {
  private readonly files = new Map<string, FileEntry>();

  constructor(readonly dir: string) {}

  /** Path of the file holding a mapping's checkpoints. */
  fileFor(mappingId: string): string {
    return path.join(this.dir, checkpointFileName(mappingId));
  }

  private entry(mappingId: string): FileEntry {
    let entry = this.files.get(mappingId);
    if (!entry) {
      const created: FileEntry = { shards: {}, loaded: Promise.resolve(), chain: Promise.resolve(), queued: undefined };
      created.loaded = this.read(mappingId).then((shards) => {
        created.shards = shards;
      });
      created.chain = created.loaded.catch(() => undefined);
      this.files.set(mappingId, created);
      entry = created;
    }
    return entry;
  }

  private async read(mappingId: string): Promise<Record<string, ShardCheckpoint>> {
    let text: string;
    try {
      text = await fsp.readFile(this.fileFor(mappingId), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw err;
    }
    const parsed = JSON.parse(text) as Partial<CheckpointFile>;
    if (parsed.version !== 1 || typeof parsed.shards !== 'object' || parsed.shards === null) {
      throw new Error(`unrecognised checkpoint file ${this.fileFor(mappingId)}`);
    }
    return parsed.shards;
  }

  async load(mappingId: string, shardId: string): Promise<ShardCheckpoint | undefined> {
    const entry = this.entry(mappingId);
    await entry.loaded;
    const cp = entry.shards[shardId];
    return cp ? structuredClone(cp) : undefined;
  }

  async save(mappingId: string, shardId: string, checkpoint: ShardCheckpoint): Promise<void> {
    const entry = this.entry(mappingId);
    await entry.loaded;
    entry.shards[shardId] = structuredClone(checkpoint);
    if (entry.queued) return entry.queued;
    const write = entry.chain.then(() => {
      entry.queued = undefined;
      const doc: CheckpointFile = {
        version: 1,
        mappingId,
        updatedAt: new Date().toISOString(),
        shards: entry.shards,
      };
      return writeFileAtomic(this.fileFor(mappingId), `${JSON.stringify(doc, null, 2)}\n`);
    });
    entry.queued = write;
    entry.chain = write.catch(() => undefined);
    return write;
  }
}
