/** Launchers of the local stand-ins (Kinesis, DynamoDB, S3, Secrets Manager) and port helpers. */
export * from './ports';
export * from './clients';
export * from './kinesis';
export * from './dynamodb';
export * from './s3';
export * from './secrets';
export * from './sns';
export * from './fault-proxy';
export * from './port-holder';
