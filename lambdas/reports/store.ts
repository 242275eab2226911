import { CopyObjectCommand, DeleteObjectsCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';

/** The objects the daily job reads and writes in the lake bucket. */
export interface LakeStore {
  /** Every key under `prefix`, sorted. */
  list(prefix: string): Promise<string[]>;
  copy(from: string, to: string): Promise<void>;
  /** Deletes the keys (no error for a key that is gone). Rejects when any delete failed. */
  remove(keys: readonly string[]): Promise<void>;
  put(key: string, body: string, contentType: string): Promise<void>;
}

/** The store over one S3 bucket. */
export class S3LakeStore implements LakeStore {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
  ) {}

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }));
      for (const o of page.Contents ?? []) if (o.Key !== undefined) keys.push(o.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    return keys.sort();
  }

  async copy(from: string, to: string): Promise<void> {
    // encodeURI leaves `=` and `/` as they are: S3 takes them unencoded, and s3rver decodes with decodeURI.
    await this.client.send(new CopyObjectCommand({ Bucket: this.bucket, Key: to, CopySource: encodeURI(`${this.bucket}/${from}`) }));
  }

  async remove(keys: readonly string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 1000) {
      const out = await this.client.send(
        new DeleteObjectsCommand({
          Bucket: this.bucket,
          Delete: { Objects: keys.slice(i, i + 1000).map((Key) => ({ Key })), Quiet: true },
        }),
      );
      if (out.Errors && out.Errors.length > 0)
        throw new Error(`could not delete ${out.Errors.map((e) => `${e.Key}: ${e.Code} ${e.Message}`).join('; ')}`);
    }
  }

  async put(key: string, body: string, contentType: string): Promise<void> {
    await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType }));
  }
}
