/** The Firehose stand-in: Kinesis stream → buffered, optionally gzipped objects in S3. */
export * from './buffer';
export * from './checkpoint';
export * from './config';
export * from './prefix';
export * from './delivery-stream';
