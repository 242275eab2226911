/** Minimal typings for s3rver 3.x (the package ships none). */
declare module 's3rver' {
  import type { Server } from 'http';
  import type { AddressInfo } from 'net';

  interface S3rverBucketConfig {
    name: string;
    /** CORS / website configuration XML documents. */
    configs?: Array<string | Buffer>;
  }

  interface S3rverOptions {
    address?: string;
    port?: number;
    silent?: boolean;
    /** Where objects are stored on disk. */
    directory?: string;
    resetOnClose?: boolean;
    allowMismatchedSignatures?: boolean;
    vhostBuckets?: boolean;
    serviceEndpoint?: string;
    configureBuckets?: S3rverBucketConfig[];
    key?: string | Buffer;
    cert?: string | Buffer;
  }

  class S3rver {
    constructor(options?: S3rverOptions);
    /** Creates the configured buckets and starts listening. */
    run(): Promise<AddressInfo>;
    close(): Promise<void>;
    reset(): void;
    httpServer?: Server;
  }
  export = S3rver;
}
