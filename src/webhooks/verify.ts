import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Stripe's webhook signature scheme (SPEC section 11), the same as the official `stripe` package's
 * `webhooks.constructEvent`: header `Stripe-Signature: t=<unix>,v1=<hex>[,v1=...]`, each `v1` an
 * HMAC-SHA256 keyed with the whole secret string over `${t}.${rawBody}`. Pure: no I/O, no clock.
 */

/** Why a delivery failed verification; stable strings, sent back in the 400 body. */
export type SignatureFailure =
  | 'missing_header'
  | 'malformed_header'
  | 'no_v1_signature'
  | 'no_matching_signature'
  | 'timestamp_outside_tolerance';

/** Raised by {@link verifyStripeSignature}; carries the reason, never the header or the secret. */
export class SignatureVerificationError extends Error {
  override readonly name = 'SignatureVerificationError';
  constructor(
    readonly reason: SignatureFailure,
    message: string,
  ) {
    super(message);
  }
}

/** The parts of a `Stripe-Signature` header this scheme uses. */
export interface ParsedSignatureHeader {
  readonly timestamp: number;
  /** The `v1` values, as sent (other schemes such as `v0` are ignored). */
  readonly signatures: readonly string[];
}

const DIGITS = /^\d{1,15}$/;
/** A SHA-256 HMAC in hex: anything else can never match, so it is not even compared. */
const HEX_SHA256 = /^[0-9a-fA-F]{64}$/;

/**
 * Parses `t=<unix>,v1=<hex>[,v1=...]`. Throws `malformed_header` when there is not exactly one
 * integer `t`, or when an item is not `key=value`; `no_v1_signature` when no `v1` is present.
 */
export function parseSignatureHeader(header: string): ParsedSignatureHeader {
  let timestamp: number | undefined;
  const signatures: string[] = [];
  for (const raw of header.split(',')) {
    const item = raw.trim();
    const eq = item.indexOf('=');
    if (eq <= 0)
      throw new SignatureVerificationError('malformed_header', 'Stripe-Signature item is not key=value');
    const key = item.slice(0, eq);
    const value = item.slice(eq + 1);
    if (key === 't') {
      // Two timestamps would make "which one was signed" ambiguous: refuse rather than guess.
      if (timestamp !== undefined || !DIGITS.test(value)) {
        throw new SignatureVerificationError(
          'malformed_header',
          'Stripe-Signature needs exactly one integer timestamp t',
        );
      }
      timestamp = Number(value);
    } else if (key === 'v1') {
      signatures.push(value);
    }
  }
  if (timestamp === undefined) {
    throw new SignatureVerificationError('malformed_header', 'Stripe-Signature has no timestamp t');
  }
  if (signatures.length === 0) {
    throw new SignatureVerificationError('no_v1_signature', 'Stripe-Signature has no v1 signature');
  }
  return { timestamp, signatures };
}

/** Bytes signed for timestamp `t`: `${t}.` followed by the raw body, byte for byte. */
function signedContent(timestamp: number, rawBody: Uint8Array | string): Buffer {
  const body = typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : rawBody;
  return Buffer.concat([Buffer.from(`${timestamp}.`, 'utf8'), body]);
}

/** The hex `v1` signature of a body at a timestamp with one secret. */
export function computeSignature(rawBody: Uint8Array | string, secret: string, timestamp: number): string {
  return createHmac('sha256', secret).update(signedContent(timestamp, rawBody)).digest('hex');
}

/**
 * A complete `Stripe-Signature` header value (for tests, benchmarks and senders).
 *
 * @example
 * const header = signatureHeader(body, 'whsec_test', Math.floor(Date.now() / 1000));
 */
export function signatureHeader(rawBody: Uint8Array | string, secret: string, timestamp: number): string {
  return `t=${timestamp},v1=${computeSignature(rawBody, secret, timestamp)}`;
}

export interface VerifyOptions {
  readonly rawBody: Uint8Array | string;
  /** The `Stripe-Signature` header; undefined or empty when absent. */
  readonly header: string | undefined;
  /** Every accepted secret (several during rotation); must not be empty. */
  readonly secrets: readonly string[];
  readonly toleranceSeconds: number;
  /** The receiver's clock, Unix seconds. */
  readonly nowSeconds: number;
}

/**
 * Passes (returns the signed timestamp) when some `v1` equals the HMAC under some secret, compared in
 * constant time, and `|now - t| <= tolerance` (a timestamp from the future is refused as well as a
 * stale one). Throws a {@link SignatureVerificationError} otherwise.
 *
 * @example
 * verifyStripeSignature({ rawBody, header: req.headers['stripe-signature'], secrets: ['whsec_x'],
 *   toleranceSeconds: 300, nowSeconds: Math.floor(Date.now() / 1000) });
 */
export function verifyStripeSignature(opts: VerifyOptions): number {
  if (opts.secrets.length === 0) throw new Error('verifyStripeSignature needs at least one secret');
  if (opts.header === undefined || opts.header.trim() === '') {
    throw new SignatureVerificationError('missing_header', 'Stripe-Signature header is missing');
  }
  const { timestamp, signatures } = parseSignatureHeader(opts.header);
  const given = signatures.filter((s) => HEX_SHA256.test(s)).map((s) => Buffer.from(s, 'hex'));
  const content = signedContent(timestamp, opts.rawBody);
  let matched = false;
  for (const secret of opts.secrets) {
    const expected = createHmac('sha256', secret).update(content).digest();
    // Every candidate is compared (no early exit) so timing says nothing about which one matched.
    for (const sig of given) {
      if (sig.length === expected.length && timingSafeEqual(sig, expected)) matched = true;
    }
  }
  if (!matched) {
    throw new SignatureVerificationError(
      'no_matching_signature',
      'no v1 signature matches the body under any configured secret',
    );
  }
  if (Math.abs(opts.nowSeconds - timestamp) > opts.toleranceSeconds) {
    throw new SignatureVerificationError(
      'timestamp_outside_tolerance',
      `signature timestamp is more than ${opts.toleranceSeconds}s away from the receiver's clock`,
    );
  }
  return timestamp;
}
