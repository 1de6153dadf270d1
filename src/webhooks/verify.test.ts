import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import {
  computeSignature,
  parseSignatureHeader,
  SignatureVerificationError,
  signatureHeader,
  verifyStripeSignature,
} from './verify.js';

const stripe = new Stripe('sk_test_unused');
const SECRET = 'whsec_unit_secret';
const NOW = 1_710_000_000;
const BODY = '{"id":"evt_1","object":"event","type":"charge.succeeded"}';

function reason(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    if (err instanceof SignatureVerificationError) return err.reason;
    throw err;
  }
}

const verify = (
  header: string | undefined,
  over: { body?: string | Buffer; secrets?: string[]; now?: number } = {},
) =>
  verifyStripeSignature({
    rawBody: over.body ?? BODY,
    header,
    secrets: over.secrets ?? [SECRET],
    toleranceSeconds: 300,
    nowSeconds: over.now ?? NOW,
  });

describe('parseSignatureHeader', () => {
  it('reads t and every v1, ignoring other schemes', () => {
    expect(parseSignatureHeader('t=12,v1=aa,v0=bb,v1=cc')).toEqual({
      timestamp: 12,
      signatures: ['aa', 'cc'],
    });
    expect(parseSignatureHeader(' t=12 , v1=aa ')).toEqual({ timestamp: 12, signatures: ['aa'] });
  });
  it.each([
    ['', 'malformed_header'],
    ['garbage', 'malformed_header'],
    ['v1=aa', 'malformed_header'],
    ['t=abc,v1=aa', 'malformed_header'],
    ['t=-5,v1=aa', 'malformed_header'],
    ['t=1,t=2,v1=aa', 'malformed_header'],
    ['t=1,,v1=aa', 'malformed_header'],
    ['t=1', 'no_v1_signature'],
    ['t=1,v0=aa', 'no_v1_signature'],
  ])('rejects %j as %s', (header, why) => {
    expect(reason(() => parseSignatureHeader(header))).toBe(why);
  });
});

describe('verifyStripeSignature', () => {
  it('accepts headers made by the official stripe package, and its verifier accepts ours', () => {
    const header = stripe.webhooks.generateTestHeaderString({
      payload: BODY,
      secret: SECRET,
      timestamp: NOW,
    });
    expect(verify(header)).toBe(NOW);
    expect(signatureHeader(BODY, SECRET, NOW)).toBe(header);
    const event = stripe.webhooks.constructEvent(BODY, signatureHeader(BODY, SECRET, NOW), SECRET, 1e9);
    expect(event.id).toBe('evt_1');
  });

  it('signs the raw bytes, including non-ASCII and whitespace', () => {
    const body = Buffer.from('{ "id": "evt_ü",\r\n "type": "x" }', 'utf8');
    const header = stripe.webhooks.generateTestHeaderString({
      payload: body.toString('utf8'),
      secret: SECRET,
      timestamp: NOW,
    });
    expect(verify(header, { body })).toBe(NOW);
    expect(
      reason(() => verify(header, { body: Buffer.from(body.toString('utf8').replace('\r\n', '\n')) })),
    ).toBe('no_matching_signature');
  });

  it('rejects a tampered body, a wrong secret, a missing header', () => {
    const header = signatureHeader(BODY, SECRET, NOW);
    expect(reason(() => verify(header, { body: BODY.replace('evt_1', 'evt_2') }))).toBe(
      'no_matching_signature',
    );
    expect(reason(() => verify(header, { secrets: ['whsec_other'] }))).toBe('no_matching_signature');
    expect(reason(() => verify(undefined))).toBe('missing_header');
    expect(reason(() => verify('  '))).toBe('missing_header');
  });

  it('keys the HMAC with the whole secret string, whsec_ prefix included', () => {
    const header = signatureHeader(BODY, SECRET.slice('whsec_'.length), NOW);
    expect(reason(() => verify(header))).toBe('no_matching_signature');
  });

  it('accepts any configured secret (rotation) and any matching v1', () => {
    const header = signatureHeader(BODY, 'whsec_old', NOW);
    expect(verify(header, { secrets: [SECRET, 'whsec_old'] })).toBe(NOW);
    const sig = computeSignature(BODY, SECRET, NOW);
    expect(verify(`t=${NOW},v1=${'0'.repeat(64)},v1=short,v1=${sig.toUpperCase()}`)).toBe(NOW);
  });

  it('enforces the tolerance both ways, inclusive at the edge', () => {
    const at = (t: number) => signatureHeader(BODY, SECRET, t);
    expect(verify(at(NOW - 300))).toBe(NOW - 300);
    expect(verify(at(NOW + 300))).toBe(NOW + 300);
    expect(reason(() => verify(at(NOW - 301)))).toBe('timestamp_outside_tolerance');
    expect(reason(() => verify(at(NOW + 301)))).toBe('timestamp_outside_tolerance');
  });

  it('does not let a signature for one timestamp pass under another', () => {
    const sig = computeSignature(BODY, SECRET, NOW);
    expect(reason(() => verify(`t=${NOW + 1},v1=${sig}`))).toBe('no_matching_signature');
  });

  it('never puts the secret or the signature in its messages', () => {
    const header = signatureHeader(BODY, 'whsec_leaky', NOW);
    // The error is caught outside the call, so an accepted signature fails here, not in a catch.
    let caught: unknown;
    try {
      verify(header);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(SignatureVerificationError);
    const text = `${(caught as Error).message} ${JSON.stringify(caught)}`;
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(header.split('v1=')[1]);
  });
});
