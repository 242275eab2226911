import { S3Client } from '@aws-sdk/client-s3';

/**
 * The S3 client every Lambda uses. Where `AWS_ENDPOINT_URL_S3` is set (the local runtime's S3
 * stand-in) it addresses buckets path-style; checksums are sent and checked only where S3 requires
 * them, which is the same on AWS and keeps uploads free of aws-chunked framing for the stand-in.
 * Never throws.
 */
export function lambdaS3Client(env: NodeJS.ProcessEnv = process.env): S3Client {
  return new S3Client({
    forcePathStyle: env.AWS_ENDPOINT_URL_S3 !== undefined,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}
