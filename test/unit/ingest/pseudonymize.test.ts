import { createHmac } from 'crypto';
import { parsePseudonymKey, pseudonym, pseudonymizeEvent } from '../../../lambdas/ingest/pseudonymize';

const KEY = Buffer.from('a-test-key-of-32-bytes-0123456789');
const OTHER_KEY = Buffer.from('another-key-of-32-bytes-987654321');

const anInputEvent = (props?: Record<string, string | number | boolean | null>) => ({
  eventId: 'e1',
  action: 'reChargeNotifyReq',
  userId: 'user493',
  createdAt: '2024-05-27T03:40:36.263Z',
  ...(props !== undefined ? { props } : {}),
});

describe('pseudonym', () => {
  it('is p_ and the first 32 hex characters of HMAC-SHA256 under the key', () => {
    // prepare
    const expected = `p_${createHmac('sha256', KEY).update('user493').digest('hex').slice(0, 32)}`;

    // act
    const value = pseudonym('user493', KEY);

    // assess
    expect(value).toBe(expected);
    expect(value).toMatch(/^p_[0-9a-f]{32}$/);
    expect(value.length).toBeLessThanOrEqual(64);
  });

  it('is stable for one key', () => {
    expect(pseudonym('user493', KEY)).toBe(pseudonym('user493', Buffer.from(KEY)));
  });

  it('differs between keys and between values', () => {
    expect(pseudonym('user493', KEY)).not.toBe(pseudonym('user493', OTHER_KEY));
    expect(pseudonym('user493', KEY)).not.toBe(pseudonym('user494', KEY));
  });

  it('does not contain the value', () => {
    expect(pseudonym('13800138000', KEY)).not.toContain('13800138000');
  });
});

describe('pseudonymizeEvent', () => {
  it('hashes userId and the listed props, and leaves every other field alone', () => {
    // prepare
    const event = anInputEvent({ phone: '13800138000', email: 'a@example.com', province: 'Zhejiang', amount: 50 });

    // act
    const out = pseudonymizeEvent(event, KEY, new Set(['phone', 'email']));

    // assess
    expect(out).toEqual({
      ...event,
      userId: pseudonym('user493', KEY),
      props: { phone: pseudonym('13800138000', KEY), email: pseudonym('a@example.com', KEY), province: 'Zhejiang', amount: 50 },
    });
  });

  it('hashes a number by its JSON text, so 42 and "42" agree', () => {
    // act
    const out = pseudonymizeEvent(anInputEvent({ memberNo: 42 }), KEY, new Set(['memberNo']));

    // assess
    expect(out.props?.memberNo).toBe(pseudonym('42', KEY));
  });

  it('leaves null and booleans as they are', () => {
    // act
    const out = pseudonymizeEvent(anInputEvent({ phone: null, vip: true }), KEY, new Set(['phone', 'vip']));

    // assess
    expect(out.props).toEqual({ phone: null, vip: true });
  });

  it('hashes only userId when no props are listed, or the event has none', () => {
    expect(pseudonymizeEvent(anInputEvent({ phone: '1' }), KEY, new Set()).props).toEqual({ phone: '1' });
    expect(pseudonymizeEvent(anInputEvent(), KEY, new Set(['phone']))).toEqual({ ...anInputEvent(), userId: pseudonym('user493', KEY) });
  });

  it('does not modify its input', () => {
    // prepare
    const event = anInputEvent({ phone: '1' });
    const before = JSON.stringify(event);

    // act
    pseudonymizeEvent(event, KEY, new Set(['phone']));

    // assess
    expect(JSON.stringify(event)).toBe(before);
  });
});

describe('parsePseudonymKey', () => {
  it('uses a plain SecretString as the key', () => {
    expect(parsePseudonymKey('0123456789abcdef0123').toString('utf8')).toBe('0123456789abcdef0123');
  });

  it('uses the key field of a JSON SecretString', () => {
    expect(parsePseudonymKey('{"key":"0123456789abcdef0123"}').toString('utf8')).toBe('0123456789abcdef0123');
  });

  it('keys a plain string and its JSON form the same way', () => {
    expect(pseudonym('u', parsePseudonymKey('{"key":"0123456789abcdef"}'))).toBe(pseudonym('u', parsePseudonymKey('0123456789abcdef')));
  });

  it('uses binary secrets as bytes', () => {
    expect(parsePseudonymKey(new Uint8Array(16).fill(7))).toEqual(Buffer.alloc(16, 7));
  });

  it('refuses a JSON object without a key field, without echoing the secret', () => {
    expect(() => parsePseudonymKey('{"hmac":"0123456789abcdef0123"}')).toThrow(
      'pseudonym secret is a JSON object without a string "key" field',
    );
  });

  it('refuses a key shorter than 16 bytes, without echoing it', () => {
    expect(() => parsePseudonymKey('short-secret')).toThrow(/at least 16 bytes, got 12$/);
  });
});
