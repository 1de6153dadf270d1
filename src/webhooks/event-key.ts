import { createHash } from 'node:crypto';

/**
 * Keys of delivered webhook events (SPEC sections 3.1 and 11), derived from the event id alone so
 * that every copy of a delivery lands on the same key. The id comes from the request body, so the
 * encoding must be safe (no `/`, no `..`, no characters S3 or a filesystem mangle) and injective
 * (two different ids never share a key).
 */

/** Ids used as they are: Stripe's own (`evt_1Nq...`) all look like this. */
const PLAIN = /^[A-Za-z0-9_-]{1,200}$/;
/**
 * Longest encoded name kept reversible. A path segment must stay under the filesystem's 255-byte
 * name limit with `.json` appended; longer ids are hashed.
 */
const MAX_ENCODED = 200;

/**
 * The file-name-safe form of an event id. Four disjoint spaces, told apart by a prefix that plain
 * ids cannot contain (`.`):
 * - plain ids (`[A-Za-z0-9_-]`, up to 200 characters): as they are;
 * - `b64.` + base64url of the UTF-8 bytes, for other well-formed strings;
 * - `u16.` + base64url of the UTF-16 code units, for strings with lone surrogates (UTF-8 would map
 *   them all to U+FFFD and merge distinct ids);
 * - `sha256.` + hex digest when the encoding would be longer than 200 characters (collision
 *   resistant rather than injective; the receiver checks the stored id on every duplicate).
 *
 * Case is kept: `evt_A` and `evt_a` are different keys (S3 and Linux filesystems are case-sensitive).
 */
export function encodeEventId(id: string): string {
  if (id.length === 0) throw new Error('event id must not be empty');
  if (PLAIN.test(id)) return id;
  const utf8 = Buffer.from(id, 'utf8');
  const wellFormed = utf8.toString('utf8') === id;
  const encoded = wellFormed
    ? `b64.${utf8.toString('base64url')}`
    : `u16.${Buffer.from(id, 'utf16le').toString('base64url')}`;
  if (encoded.length <= MAX_ENCODED) return encoded;
  return `sha256.${createHash('sha256').update(Buffer.from(id, 'utf16le')).digest('hex')}`;
}

/** The entity under which delivered events land in Bronze. */
export const WEBHOOK_ENTITY = 'webhook_events';

const BRONZE_PREFIX = `bronze/source=stripe/entity=${WEBHOOK_ENTITY}/`;

/**
 * The one immutable Bronze object of a delivered event:
 * `bronze/source=stripe/entity=webhook_events/dt=<received UTC date>/<encoded id>.json`.
 */
export function webhookBronzeKey(eventId: string, receivedAtMs: number): string {
  const dt = new Date(receivedAtMs).toISOString().slice(0, 10);
  return `${BRONZE_PREFIX}dt=${dt}/${encodeEventId(eventId)}.json`;
}

/** Whether `key` is a Bronze key this module would give `eventId` on some day. */
export function isWebhookBronzeKeyFor(key: string, eventId: string): boolean {
  const m = /^bronze\/source=stripe\/entity=webhook_events\/dt=(\d{4}-\d{2}-\d{2})\/([^/]+)$/.exec(key);
  return m !== null && m[2] === `${encodeEventId(eventId)}.json`;
}

/**
 * The claim marker of an event id, independent of the day: `_state/webhooks/seen/<encoded id>.json`.
 * It holds the Bronze key chosen by the first delivery, so a copy arriving on a later day finds
 * that key instead of creating a second object under its own date.
 */
export function webhookMarkerKey(eventId: string): string {
  return `_state/webhooks/seen/${encodeEventId(eventId)}.json`;
}
