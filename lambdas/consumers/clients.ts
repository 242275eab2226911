import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * The SDK clients of the consumers, made once per container when a handler module loads.
 * Endpoints come only from the SDK's own `AWS_ENDPOINT_URL_DYNAMODB` / `AWS_ENDPOINT_URL_SNS`
 * (set by the local runtime), region and credentials from the Lambda environment. Five attempts
 * (standard retry mode: throttling, 5xx, timeouts) before a write fails the batch.
 */
export const documentClient = DynamoDBDocumentClient.from(new DynamoDBClient({ maxAttempts: 5 }), {
  marshallOptions: { removeUndefinedValues: true },
});

/** See {@link documentClient}. */
export const snsClient = new SNSClient({ maxAttempts: 5 });
