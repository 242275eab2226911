import * as fs from 'fs';
import * as path from 'path';

/** Per shard, the sequence number of the last record delivered to S3. */
export type ShardCheckpoints = Readonly<Record<string, string>>;

/** Where a delivery stream keeps how far it has delivered. */
export interface CheckpointStore {
  load(): Promise<ShardCheckpoints>;
  /** Replaces the stored checkpoints with `checkpoints` (all shards). */
  save(checkpoints: ShardCheckpoints): Promise<void>;
}

/** Checkpoints kept in memory only: a restart reads the stream from its start position again. */
export class MemoryCheckpointStore implements CheckpointStore {
  private current: ShardCheckpoints = {};
  /** Loads the checkpoints saved last (empty at first). */
  async load(): Promise<ShardCheckpoints> {
    return { ...this.current };
  }
  /** Keeps a copy of `checkpoints`. */
  async save(checkpoints: ShardCheckpoints): Promise<void> {
    this.current = { ...checkpoints };
  }
}

interface CheckpointFile {
  readonly deliveryStream?: string;
  readonly sourceStream?: string;
  readonly updatedAt?: string;
  readonly shards: Record<string, string>;
}

/** Checkpoints in a JSON file, written to a temporary file and renamed so a crash never leaves half a file. */
export class FileCheckpointStore implements CheckpointStore {
  constructor(
    readonly file: string,
    private readonly labels: { deliveryStream?: string; sourceStream?: string } = {},
  ) {}

  /** Reads the file; no file means no checkpoints. */
  async load(): Promise<ShardCheckpoints> {
    let text: string;
    try {
      text = await fs.promises.readFile(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw e;
    }
    const parsed = JSON.parse(text) as Partial<CheckpointFile>;
    const shards: Record<string, string> = {};
    for (const [k, v] of Object.entries(parsed.shards ?? {})) if (typeof v === 'string') shards[k] = v;
    return shards;
  }

  /** Writes all checkpoints atomically (temp file + rename). */
  async save(checkpoints: ShardCheckpoints): Promise<void> {
    await fs.promises.mkdir(path.dirname(this.file), { recursive: true });
    const body: CheckpointFile = {
      deliveryStream: this.labels.deliveryStream,
      sourceStream: this.labels.sourceStream,
      updatedAt: new Date().toISOString(),
      shards: { ...checkpoints },
    };
    const tmp = `${this.file}.${process.pid}.tmp`;
    await fs.promises.writeFile(tmp, `${JSON.stringify(body, null, 2)}\n`);
    await fs.promises.rename(tmp, this.file);
  }
}

/** The checkpoint file of one delivery stream inside a persist directory. */
export function checkpointFilePath(persistDir: string, deliveryStreamName: string): string {
  return path.join(persistDir, 'firehose', `${deliveryStreamName.replace(/[^A-Za-z0-9_.-]/g, '_')}.checkpoint.json`);
}
