import { createHmac } from 'crypto';
import type { EventInput, PropValue } from '../shared/event';

/** Shortest HMAC key accepted, in bytes: a short key would let anyone who guesses it re-identify users. */
export const MIN_KEY_BYTES = 16;

/** Hex characters of the HMAC kept in a pseudonym (128 bits). */
const PSEUDONYM_HEX_LENGTH = 32;

/**
 * The pseudonym of `value` under `key`: `p_` + the first 32 hex characters of
 * HMAC-SHA256(key, value) (34 characters, within the 64 of `userId`). Stable for one key,
 * different across keys, not reversible without the key. Never fails.
 */
export function pseudonym(value: string, key: Uint8Array): string {
  return `p_${createHmac('sha256', key).update(value, 'utf8').digest('hex').slice(0, PSEUDONYM_HEX_LENGTH)}`;
}

/**
 * Returns `event` with `userId` and the `props` named in `propNames` replaced by their pseudonyms;
 * string values are hashed as they are, numbers by their JSON text (so `42` and `"42"` agree),
 * `null` and booleans stay as they are. The input is not modified. Never fails.
 */
export function pseudonymizeEvent(event: EventInput, key: Uint8Array, propNames: ReadonlySet<string>): EventInput {
  const props = event.props;
  if (props === undefined || propNames.size === 0) return { ...event, userId: pseudonym(event.userId, key) };

  const hashed: Record<string, PropValue> = {};
  for (const [name, value] of Object.entries(props)) {
    hashed[name] = propNames.has(name) && (typeof value === 'string' || typeof value === 'number') ? pseudonym(String(value), key) : value;
  }
  return { ...event, userId: pseudonym(event.userId, key), props: hashed };
}

/**
 * Reads the HMAC key from a Secrets Manager value: a JSON object's string `key` field, or else
 * the whole SecretString (binary secrets are used as bytes); throws an Error (never containing
 * the secret) when the key is missing or shorter than {@link MIN_KEY_BYTES} bytes.
 */
export function parsePseudonymKey(secret: string | Uint8Array): Buffer {
  const key = typeof secret === 'string' ? Buffer.from(keyText(secret), 'utf8') : Buffer.from(secret);
  if (key.length < MIN_KEY_BYTES) throw new Error(`pseudonym key must be at least ${MIN_KEY_BYTES} bytes, got ${key.length}`);
  return key;
}

/** The key text inside a SecretString: `{"key":"…"}` gives its `key`, anything else is the key itself. */
function keyText(secret: string): string {
  const trimmed = secret.trim();
  if (!trimmed.startsWith('{')) return secret;
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch {
    return secret;
  }
  if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
    const { key } = parsed as Record<string, unknown>;
    if (typeof key === 'string') return key;
    throw new Error('pseudonym secret is a JSON object without a string "key" field');
  }
  return secret;
}
