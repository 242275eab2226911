import { z } from 'zod';
import { ingestResponse } from '../../../lambdas/ingest/http';
import { parseEnv, integerString, requiredString } from '../../../lambdas/shared/env';
import { ingestResponseSchema } from '../../../lambdas/shared/ingest-api';
import { ConfigError, issueText } from '../../../lambdas/shared/issues';

describe('env parsing', () => {
  const schema = z.object({ NAME: requiredString, SIZE: integerString(1, 10), SLICES: integerString(1, 64, 4) });

  it('reads required strings and whole numbers, with the fallback for an unset optional one', () => {
    // act
    const env = parseEnv(schema, { NAME: ' table ', SIZE: ' 7 ' }, 'test configuration');

    // assess
    expect(env).toEqual({ NAME: 'table', SIZE: 7, SLICES: 4 });
  });

  it('names every bad variable with its reason in one ConfigError', () => {
    // act
    let error: unknown;
    try {
      parseEnv(schema, { NAME: ' ', SIZE: '2.5', SLICES: '65' }, 'test configuration');
    } catch (e) {
      error = e;
    }

    // assess
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues).toEqual([
      { field: 'NAME', reason: 'is required' },
      { field: 'SIZE', reason: 'must be a whole number' },
      { field: 'SLICES', reason: 'must be at most 64' },
    ]);
    expect((error as Error).message).toBe(
      'invalid test configuration: NAME: is required; SIZE: must be a whole number; SLICES: must be at most 64',
    );
  });

  it('says "is required" for a missing required number', () => {
    expect(() => parseEnv(schema, { NAME: 'x' }, 'test configuration')).toThrow('invalid test configuration: SIZE: is required');
  });

  it('writes an issue without a field as its reason alone', () => {
    expect(issueText({ field: '', reason: 'body is required' })).toBe('body is required');
    expect(issueText({ field: 'userId', reason: 'is required' })).toBe('userId: is required');
  });
});

describe('ingest contract', () => {
  it("accepts the server's own answer, eventId null included", () => {
    // prepare: what the ingest Lambda answers for one accepted event and one sent without eventId
    const response = ingestResponse([
      { index: 0, eventId: 'e-1', status: 'accepted' },
      {
        index: 1,
        eventId: null,
        status: 'rejected',
        error: { field: 'eventId', reason: 'is required', retryable: false },
        errors: [{ field: 'eventId', reason: 'is required', retryable: false }],
      },
    ]);

    // act
    const parsed = ingestResponseSchema.safeParse(JSON.parse(response.body));

    // assess
    expect(response.statusCode).toBe(207);
    expect(parsed.success).toBe(true);
    expect(parsed.data?.results[1]?.eventId).toBeNull();
  });

  it("rejects a body that is not an ingest answer (API Gateway's own message)", () => {
    expect(ingestResponseSchema.safeParse({ message: 'Forbidden' }).success).toBe(false);
  });
});
