import { createHash, timingSafeEqual } from 'crypto';
import { PRODUCER_KEY_HEADER } from '../shared/http';
import type { FieldIssue } from '../shared/issues';

/** One accepted key of a producer, kept only as its SHA-256 digest. */
export interface ProducerKeyDigest {
  readonly producer: string;
  readonly digest: Buffer;
}

/** The result of checking a request's key: the producer it belongs to, or the status and problem to answer. */
export type KeyVerdict =
  { readonly ok: true; readonly producer: string } | { readonly ok: false; readonly status: 401 | 403; readonly issue: FieldIssue };

/** Longer keys are refused without hashing (generated keys are 40 characters). */
export const MAX_KEY_LENGTH = 256;

const sha256 = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/** The digests of `values` (e.g. a producer's current and previous key), for {@link checkProducerKey}. Never fails. */
export function keyDigests(producer: string, values: readonly string[]): ProducerKeyDigest[] {
  return values.filter((value) => value !== '').map((value) => ({ producer, digest: sha256(value) }));
}

/**
 * Checks the key a request presented against the producers' keys: 401 when there is none, 403 when
 * it is no producer's. Compares SHA-256 digests in constant time, and always against every key,
 * so the time taken tells nothing about which key or how much of it matched. Never throws.
 */
export function checkProducerKey(presented: string | undefined, keys: readonly ProducerKeyDigest[]): KeyVerdict {
  if (presented === undefined || presented === '') {
    return { ok: false, status: 401, issue: { field: PRODUCER_KEY_HEADER, reason: 'is required: the key of a producer of this stage' } };
  }
  const refused: KeyVerdict = {
    ok: false,
    status: 403,
    issue: { field: PRODUCER_KEY_HEADER, reason: 'is not the key of a producer of this stage' },
  };
  if (presented.length > MAX_KEY_LENGTH) return refused;
  const digest = sha256(presented);
  let producer: string | undefined;
  for (const key of keys) {
    const same = timingSafeEqual(digest, key.digest);
    if (same && producer === undefined) producer = key.producer;
  }
  return producer === undefined ? refused : { ok: true, producer };
}

/**
 * `load` cached for `ttlMs`: the first call loads, later calls within the TTL reuse the result,
 * the first call after it loads again (so a rotated key is taken up within the TTL). When a reload
 * fails and an earlier result exists, that one is used for `retryMs` more before trying again, but
 * never past twice the TTL after it was loaded (a revoked key must not stay accepted while reads
 * fail): after that the failure is returned. With no earlier result the failure is returned (and
 * not cached).
 */
export function cachedFor<T>(load: () => Promise<T>, ttlMs: number, now: () => number, retryMs = 10_000): () => Promise<T> {
  let value: { readonly data: T; readonly until: number; readonly loadedAt: number } | undefined;
  let loading: Promise<T> | undefined;
  return () => {
    if (value !== undefined && now() < value.until) return Promise.resolve(value.data);
    loading ??= load()
      .then((data) => {
        value = { data, until: now() + ttlMs, loadedAt: now() };
        return data;
      })
      .catch((error: unknown) => {
        const staleLimit = value === undefined ? 0 : value.loadedAt + 2 * ttlMs;
        if (value === undefined || now() >= staleLimit) throw error;
        value = { data: value.data, until: Math.min(now() + Math.min(retryMs, ttlMs), staleLimit), loadedAt: value.loadedAt };
        return value.data;
      })
      .finally(() => {
        loading = undefined;
      });
    return loading;
  };
}
