import { loadConfig } from '../../../lambdas/ingest/config';

/** The environment the CDK construct sets, pseudonymization off. */
const anEnv = (overrides: Record<string, string | undefined> = {}): Record<string, string | undefined> => ({
  STREAM_NAME: 'uba-dev-events',
  TIME_ZONE: 'Asia/Shanghai',
  MAX_EVENTS_PER_REQUEST: '500',
  MAX_BODY_BYTES: '1048576',
  PSEUDONYMIZE: 'false',
  PSEUDONYMIZED_PROPS: '',
  ...overrides,
});

const ARN = 'arn:aws:secretsmanager:ap-east-1:111122223333:secret:pseudonym-key-AbCdEf';

describe('loadConfig', () => {
  it('reads the construct’s environment', () => {
    expect(loadConfig(anEnv())).toEqual({
      streamName: 'uba-dev-events',
      timeZone: 'Asia/Shanghai',
      maxEventsPerRequest: 500,
      maxBodyBytes: 1048576,
    });
  });

  it('reads pseudonymization settings, trimming the prop list', () => {
    // act
    const config = loadConfig(anEnv({ PSEUDONYMIZE: 'true', PSEUDONYM_SECRET_ARN: ARN, PSEUDONYMIZED_PROPS: ' phone, email,,' }));

    // assess
    expect(config.pseudonymization).toEqual({ secretArn: ARN, props: new Set(['phone', 'email']) });
  });

  it('accepts an absent PSEUDONYMIZED_PROPS', () => {
    expect(
      loadConfig(anEnv({ PSEUDONYMIZE: 'true', PSEUDONYM_SECRET_ARN: ARN, PSEUDONYMIZED_PROPS: undefined })).pseudonymization?.props.size,
    ).toBe(0);
  });

  it.each([
    ['STREAM_NAME missing', { STREAM_NAME: undefined }, 'STREAM_NAME: is required'],
    ['STREAM_NAME blank', { STREAM_NAME: ' ' }, 'STREAM_NAME: is required'],
    ['TIME_ZONE missing', { TIME_ZONE: undefined }, 'TIME_ZONE: is required'],
    ['TIME_ZONE unknown', { TIME_ZONE: 'Mars/Olympus' }, 'TIME_ZONE: must be an IANA time zone'],
    ['MAX_EVENTS_PER_REQUEST missing', { MAX_EVENTS_PER_REQUEST: undefined }, 'MAX_EVENTS_PER_REQUEST: is required'],
    ['MAX_EVENTS_PER_REQUEST 0', { MAX_EVENTS_PER_REQUEST: '0' }, 'MAX_EVENTS_PER_REQUEST: must be at least 1'],
    ['MAX_EVENTS_PER_REQUEST 501', { MAX_EVENTS_PER_REQUEST: '501' }, 'MAX_EVENTS_PER_REQUEST: must be at most 500'],
    ['MAX_EVENTS_PER_REQUEST a fraction', { MAX_EVENTS_PER_REQUEST: '2.5' }, 'MAX_EVENTS_PER_REQUEST: must be a whole number'],
    ['MAX_BODY_BYTES missing', { MAX_BODY_BYTES: undefined }, 'MAX_BODY_BYTES: is required'],
    ['MAX_BODY_BYTES words', { MAX_BODY_BYTES: '1MB' }, 'MAX_BODY_BYTES: must be a whole number'],
    [
      'MAX_BODY_BYTES over the Lambda payload limit',
      { MAX_BODY_BYTES: String(7 * 1024 * 1024) },
      'MAX_BODY_BYTES: must be at most 6291456',
    ],
    ['PSEUDONYMIZE missing', { PSEUDONYMIZE: undefined }, 'PSEUDONYMIZE: must be "true" or "false"'],
    ['PSEUDONYMIZE yes', { PSEUDONYMIZE: 'yes' }, 'PSEUDONYMIZE: must be "true" or "false"'],
    ['PSEUDONYM_SECRET_ARN missing while on', { PSEUDONYMIZE: 'true' }, 'PSEUDONYM_SECRET_ARN: is required when PSEUDONYMIZE is "true"'],
  ])('refuses %s', (_, overrides, message) => {
    expect(() => loadConfig(anEnv(overrides))).toThrow(message);
  });

  it('names every bad variable at once', () => {
    expect(() => loadConfig({})).toThrow(
      /STREAM_NAME: is required; TIME_ZONE: is required; MAX_EVENTS_PER_REQUEST: is required; MAX_BODY_BYTES: is required/,
    );
  });
});

describe('loadConfig: producer keys (load-balancer front door)', () => {
  const WEB = 'arn:aws:secretsmanager:ap-east-1:111122223333:secret:web-key-AbCdEf';
  const VENDING = 'arn:aws:secretsmanager:ap-east-1:111122223333:secret:vending-key-GhIjKl';

  it('reads the producers’ secrets and the cache TTL', () => {
    const config = loadConfig(anEnv({ PRODUCER_KEY_SECRETS: `web=${WEB},vending=${VENDING}`, PRODUCER_KEY_CACHE_SECONDS: '300' }));
    expect(config.producerKeys).toEqual({
      secrets: [
        { producer: 'web', secretArn: WEB },
        { producer: 'vending', secretArn: VENDING },
      ],
      cacheSeconds: 300,
    });
  });

  it('has none when PRODUCER_KEY_SECRETS is unset (API Gateway checks the keys)', () => {
    expect(loadConfig(anEnv()).producerKeys).toBeUndefined();
  });

  it.each([
    ['not a pair', 'web'],
    ['not an ARN', 'web=secret'],
    ['a bad producer name', `Web=${WEB}`],
    ['a producer twice', `web=${WEB},web=${VENDING}`],
    ['an empty pair', `web=${WEB},`],
  ])('refuses PRODUCER_KEY_SECRETS with %s, naming it', (_, value) => {
    expect(() => loadConfig(anEnv({ PRODUCER_KEY_SECRETS: value, PRODUCER_KEY_CACHE_SECONDS: '300' }))).toThrow(/PRODUCER_KEY_SECRETS/);
  });

  it('requires PRODUCER_KEY_CACHE_SECONDS (1..3600) with the secrets', () => {
    expect(() => loadConfig(anEnv({ PRODUCER_KEY_SECRETS: `web=${WEB}` }))).toThrow(/PRODUCER_KEY_CACHE_SECONDS/);
    expect(() => loadConfig(anEnv({ PRODUCER_KEY_SECRETS: `web=${WEB}`, PRODUCER_KEY_CACHE_SECONDS: '0' }))).toThrow(
      /PRODUCER_KEY_CACHE_SECONDS/,
    );
  });
});
