import { isRecordFault } from '../../../lambdas/consumers/common';

/** An error as the AWS SDK raises it: a name and a message. */
const awsError = (name: string, message: string): Error => Object.assign(new Error(message), { name });

describe('isRecordFault', () => {
  it.each([
    [
      'a partition key over 2048 bytes',
      'One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of 2048 bytes',
    ],
    ['a key as DynamoDB Local words it', 'Hash primary key values must be under 2048 bytes'],
    [
      'a sort key over 1024 bytes',
      'One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit of 1024 bytes',
    ],
    ['an item over 400 KB', 'Item size has exceeded the maximum allowed size'],
    ['a number out of range', 'Number overflow. Attempting to store a number with magnitude larger than supported range'],
  ])('blames the records for %s', (_what, message) => {
    expect(isRecordFault(awsError('ValidationException', message))).toBe(true);
  });

  it.each([
    [
      'a malformed expression (our fault: retry, do not quarantine)',
      awsError('ValidationException', 'Invalid UpdateExpression: Syntax error; token: "+"'),
    ],
    ['a key that does not match the schema', awsError('ValidationException', 'The provided key element does not match the schema')],
    [
      'throttling',
      awsError('ProvisionedThroughputExceededException', 'The level of configured provisioned throughput for the table was exceeded'),
    ],
    ['a concurrent writer', awsError('ConditionalCheckFailedException', 'The conditional request failed')],
    ['a network error', awsError('TimeoutError', 'socket hang up')],
    ['a non-error', 'boom'],
  ])('leaves %s to a retry', (_what, error) => {
    expect(isRecordFault(error)).toBe(false);
  });

  it('blames the records for an AggregateError only when every inner error is a record fault', () => {
    const size = awsError('ValidationException', 'Item size has exceeded the maximum allowed size');
    const throttle = awsError('ThrottlingException', 'Rate exceeded');
    expect(isRecordFault(new AggregateError([size, size]))).toBe(true);
    expect(isRecordFault(new AggregateError([size, throttle]))).toBe(false);
    expect(isRecordFault(new AggregateError([]))).toBe(false);
  });
});
