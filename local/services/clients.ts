import { NodeHttpHandler } from '@smithy/node-http-handler';

/** Credentials the local stand-ins accept (s3rver only accepts these; the others accept anything). */
export const LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

export const LOCAL_REGION = 'us-east-1';

/** Shared SDK v3 client settings for a local endpoint (HTTP/1.1 handler, fixed credentials). */
export interface LocalClientConfig {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  requestHandler: NodeHttpHandler;
  maxAttempts: number;
}

/** Config for Kinesis/DynamoDB/Secrets Manager/SQS/SNS clients against a local endpoint. */
export function localClientConfig(endpoint: string, region: string = LOCAL_REGION): LocalClientConfig {
  return {
    endpoint,
    region,
    credentials: { ...LOCAL_CREDENTIALS },
    // kinesalite speaks HTTP/1.1 only; the Kinesis client would otherwise use HTTP/2.
    requestHandler: new NodeHttpHandler({ connectionTimeout: 2000 }),
    maxAttempts: 3,
  };
}

/** Config for an S3 client against s3rver (path-style, no streaming checksums). */
export function localS3ClientConfig(
  endpoint: string,
  region: string = LOCAL_REGION,
): LocalClientConfig & { forcePathStyle: true; requestChecksumCalculation: 'WHEN_REQUIRED'; responseChecksumValidation: 'WHEN_REQUIRED' } {
  return {
    ...localClientConfig(endpoint, region),
    forcePathStyle: true,
    // Without these the SDK uploads with aws-chunked framing, which s3rver stores verbatim.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  };
}
