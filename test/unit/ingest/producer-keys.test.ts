import { cachedFor, checkProducerKey, keyDigests, MAX_KEY_LENGTH } from '../../../lambdas/ingest/producer-keys';

const KEYS = [...keyDigests('web', ['web-key-current', 'web-key-previous']), ...keyDigests('vending', ['vending-key'])];

describe('checkProducerKey', () => {
  it("accepts a producer's current and previous key and names the producer", () => {
    expect(checkProducerKey('web-key-current', KEYS)).toEqual({ ok: true, producer: 'web' });
    expect(checkProducerKey('web-key-previous', KEYS)).toEqual({ ok: true, producer: 'web' });
    expect(checkProducerKey('vending-key', KEYS)).toEqual({ ok: true, producer: 'vending' });
  });

  it('answers 401 naming x-api-key when no key is presented', () => {
    for (const missing of [undefined, '']) {
      expect(checkProducerKey(missing, KEYS)).toEqual({
        ok: false,
        status: 401,
        issue: { field: 'x-api-key', reason: 'is required: the key of a producer of this stage' },
      });
    }
  });

  it('answers 403 for a wrong key, a prefix of a right one, a case variant and an over-long one', () => {
    for (const wrong of ['nope', 'web-key', 'WEB-KEY-CURRENT', 'web-key-current ', 'x'.repeat(MAX_KEY_LENGTH + 1)]) {
      expect(checkProducerKey(wrong, KEYS)).toEqual({
        ok: false,
        status: 403,
        issue: { field: 'x-api-key', reason: 'is not the key of a producer of this stage' },
      });
    }
  });

  it('refuses every key when no producer has one', () => {
    expect(checkProducerKey('web-key-current', [])).toMatchObject({ ok: false, status: 403 });
  });

  it('keeps only digests, never the values', () => {
    const [digest] = keyDigests('web', ['secret-value']);
    expect(digest.digest).toHaveLength(32);
    expect(digest.digest.toString('utf8')).not.toContain('secret-value');
    expect(keyDigests('web', [''])).toEqual([]);
  });
});

describe('cachedFor', () => {
  it('loads once within the TTL and again after it (a rotated key is taken up)', async () => {
    let now = 0;
    let value = 'first';
    const load = jest.fn(async () => value);
    const get = cachedFor(load, 1000, () => now);

    expect(await get()).toBe('first');
    value = 'rotated';
    now = 999;
    expect(await get()).toBe('first');
    now = 1000;
    expect(await get()).toBe('rotated');
    expect(load).toHaveBeenCalledTimes(2);
  });

  it('shares one load between concurrent callers', async () => {
    const load = jest.fn(async () => 'v');
    const get = cachedFor(load, 1000, () => 0);
    expect(await Promise.all([get(), get(), get()])).toEqual(['v', 'v', 'v']);
    expect(load).toHaveBeenCalledTimes(1);
  });

  it('rejects when the first load fails, and tries again on the next call', async () => {
    const load = jest.fn<Promise<string>, []>().mockRejectedValueOnce(new Error('down')).mockResolvedValueOnce('v');
    const get = cachedFor(load, 1000, () => 0);
    await expect(get()).rejects.toThrow('down');
    expect(await get()).toBe('v');
  });

  it('keeps the last keys for retryMs when a reload fails, then tries again', async () => {
    let now = 0;
    const load = jest
      .fn<Promise<string>, []>()
      .mockResolvedValueOnce('old')
      .mockRejectedValueOnce(new Error('down'))
      .mockResolvedValueOnce('new');
    const get = cachedFor(load, 1000, () => now, 100);
    expect(await get()).toBe('old');
    now = 1000;
    expect(await get()).toBe('old');
    now = 1050;
    expect(await get()).toBe('old');
    expect(load).toHaveBeenCalledTimes(2);
    now = 1100;
    expect(await get()).toBe('new');
  });

  it('stops serving an earlier result twice the TTL after it was loaded while reloads keep failing (a revoked key is not accepted for ever)', async () => {
    let now = 0;
    const load = jest.fn<Promise<string>, []>().mockResolvedValueOnce('old').mockRejectedValue(new Error('down'));
    const get = cachedFor(load, 1000, () => now, 300);
    expect(await get()).toBe('old');
    for (now = 1000; now < 2000; now += 300) expect(await get()).toBe('old');
    now = 2000;
    await expect(get()).rejects.toThrow('down');
    now = 2500;
    await expect(get()).rejects.toThrow('down');
  });
});
