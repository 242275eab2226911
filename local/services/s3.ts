import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import S3rver from 's3rver';
import { S3Client } from '@aws-sdk/client-s3';
import { TemplateResolver } from '../template/resolver';
import { localS3ClientConfig } from './clients';
import { DEFAULT_PORTS, LOCAL_HOST, RunningService, assertPortFree, closeHttpServer, portInUse } from './ports';

/** Names of every `AWS::S3::Bucket` of the app (their local physical names). */
export function s3BucketsFromTemplate(resolver: TemplateResolver): string[] {
  return resolver.resourcesOfType('AWS::S3::Bucket').map((r) => resolver.physicalName(r.stackName, r.logicalId));
}

/**
 * Whether this Node process can page `ListObjectsV2` against an in-process s3rver.
 * s3rver makes its continuation tokens with DES, which OpenSSL 3 (Node ≥ 17) only offers with
 * the legacy provider, and a provider cannot be loaded after start-up: the process itself must be
 * started with `--openssl-legacy-provider` (e.g. `NODE_OPTIONS=--openssl-legacy-provider`).
 * Running s3rver in-process therefore needs the flag on the runtime's own process.
 */
export function listPagingSupported(): boolean {
  try {
    crypto.createCipheriv('des', Buffer.alloc(8), Buffer.alloc(8));
    return true;
  } catch {
    return false;
  }
}

export const LIST_PAGING_NOTE =
  'S3 listings that do not fit one page (ListObjectsV2 with more keys than MaxKeys, 1000 by default) fail with InternalError ' +
  'in this process: s3rver encrypts continuation tokens with DES, which Node >= 17 only allows when the process is started with ' +
  '--openssl-legacy-provider (e.g. NODE_OPTIONS=--openssl-legacy-provider npm start).';

export interface S3ServiceOptions {
  /** Default 4568; 0 picks a free port. */
  readonly port?: number;
  /** Where objects live; persisted across restarts. When omitted, a temporary directory removed by `stop()`. */
  readonly directory?: string;
  readonly buckets?: readonly string[];
  readonly region?: string;
}

export interface RunningS3 extends RunningService {
  readonly client: S3Client;
  /** The directory holding the objects. */
  readonly directory: string;
  readonly buckets: readonly string[];
  /** False when paged listings will fail in this process (see {@link LIST_PAGING_NOTE}). */
  readonly listPagingSupported: boolean;
}

/** Starts s3rver in-process on 127.0.0.1 with the given buckets (creating existing ones again is harmless). */
export async function startS3(options: S3ServiceOptions = {}): Promise<RunningS3> {
  const port = options.port ?? DEFAULT_PORTS.s3;
  const service = 'S3 (s3rver)';
  await assertPortFree(port, service);
  const temporary = options.directory === undefined;
  const directory = options.directory ? path.resolve(options.directory) : fs.mkdtempSync(path.join(os.tmpdir(), 'uba-s3-'));
  fs.mkdirSync(directory, { recursive: true });
  const buckets = [...new Set(options.buckets ?? [])];
  const server = new S3rver({
    port,
    address: LOCAL_HOST,
    silent: true,
    directory,
    configureBuckets: buckets.map((name) => ({ name })),
  });
  let address;
  try {
    address = await server.run();
  } catch (e) {
    if (temporary) fs.rmSync(directory, { recursive: true, force: true });
    throw (e as NodeJS.ErrnoException).code === 'EADDRINUSE' ? portInUse(port, LOCAL_HOST, service) : e;
  }
  const endpoint = `http://${LOCAL_HOST}:${address.port}`;
  const client = new S3Client(localS3ClientConfig(endpoint, options.region));
  let stopped = false;
  return {
    endpoint,
    port: address.port,
    client,
    directory,
    buckets,
    listPagingSupported: listPagingSupported(),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      client.destroy();
      if (server.httpServer) await closeHttpServer(server.httpServer);
      if (temporary) fs.rmSync(directory, { recursive: true, force: true });
    },
  };
}
