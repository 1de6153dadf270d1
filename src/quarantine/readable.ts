/**
 * What a transform can read (SPEC 15): the checks that keep an unreadable record out of Bronze,
 * where it would fail every later transform ("Failed to cast value to numerical", "no low
 * surrogate in string"). Extraction sends such a record to `_quarantine/…`; the webhook receiver
 * answers 400. Pure functions, iterative (a 5,000-level body must not overflow the stack).
 */

/** Deepest nesting of objects and arrays accepted in one record. */
export const MAX_JSON_DEPTH = 64;

/** 2009-01-01T00:00:00Z: Stripe did not exist before; an earlier `created` is not a Stripe time. */
export const EARLIEST_CREATED = 1_230_768_000;

/** How far past the source's clock a `created` may be (clock skew), seconds. */
export const CREATED_SKEW_SECONDS = 86_400;

/** A lone UTF-16 surrogate: JSON can carry one (`"\ud800"`), UTF-8 text and DuckDB cannot. */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Why a `created` value is not a Stripe time (an integer of Unix seconds from 2009 to the source's
 * clock plus a day), or undefined when it is one.
 *
 * @example
 * createdProblem(1700000000.5, 1800000000); // 'created 1700000000.5 is not an integer Unix time'
 */
export function createdProblem(created: unknown, sourceNowSeconds: number): string | undefined {
  if (typeof created !== 'number' || !Number.isSafeInteger(created)) {
    return `created ${JSON.stringify(created) ?? String(created)} is not an integer Unix time`;
  }
  if (created < EARLIEST_CREATED) return `created ${created} is before 2009`;
  if (created > sourceNowSeconds + CREATED_SKEW_SECONDS) {
    return `created ${created} is more than a day after the source's clock (${sourceNowSeconds})`;
  }
  return undefined;
}

/**
 * Whether JSON bytes nest objects/arrays deeper than `max`, by counting brackets outside strings
 * (no parsing, no recursion): run before `JSON.parse` on untrusted bodies.
 */
export function jsonDepthExceeds(bytes: Uint8Array, max = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

/**
 * Why a parsed JSON value could not be stored as text and read back (a lone surrogate in a key or
 * a string, nesting deeper than `maxDepth`), or undefined. Walks the value without recursion.
 */
export function valueProblem(value: unknown, maxDepth = MAX_JSON_DEPTH): string | undefined {
  const stack: { v: unknown; depth: number }[] = [{ v: value, depth: 0 }];
  while (stack.length > 0) {
    const { v, depth } = stack.pop()!;
    if (typeof v === 'string') {
      if (LONE_SURROGATE.test(v)) return 'holds a lone UTF-16 surrogate (not valid Unicode text)';
    } else if (typeof v === 'number') {
      if (!Number.isFinite(v)) return 'holds a number out of range';
    } else if (typeof v === 'object' && v !== null) {
      if (depth + 1 > maxDepth) return `nests deeper than ${maxDepth} levels`;
      if (Array.isArray(v)) for (const x of v) stack.push({ v: x, depth: depth + 1 });
      else
        for (const [k, x] of Object.entries(v)) {
          if (LONE_SURROGATE.test(k)) return 'holds a lone UTF-16 surrogate in a key';
          stack.push({ v: x, depth: depth + 1 });
        }
    }
  }
  return undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Why an API object (a list element, a retrieved object, an event's `data.object`) is unreadable,
 * or undefined: it must be a JSON object with a non-empty string `id`, valid text throughout,
 * and, when it has a `created`, a Stripe time.
 */
export function objectProblem(value: unknown, sourceNowSeconds: number): string | undefined {
  if (!isObject(value)) return 'not a JSON object';
  if (typeof value.id !== 'string' || value.id.length === 0) return 'has no non-empty string "id"';
  const bad = valueProblem(value);
  if (bad) return bad;
  if ('created' in value) return createdProblem(value.created, sourceNowSeconds);
  return undefined;
}

/**
 * Why a Stripe event is unreadable, or undefined: a readable object with a string `type`, a
 * `created` that is a Stripe time, and a `data.object` that is itself a readable object (when it
 * carries an id; the router skips objects without one).
 */
export function eventProblem(value: unknown, sourceNowSeconds: number): string | undefined {
  const own = objectProblem(value, sourceNowSeconds);
  if (own) return own;
  const ev = value as Record<string, unknown>;
  if (typeof ev.type !== 'string' || ev.type.length === 0) return 'has no string "type"';
  if (!('created' in ev)) return 'has no "created"';
  const data = ev.data;
  if (!isObject(data) || !isObject(data.object)) return '"data.object" is not a JSON object';
  if ('id' in data.object || 'created' in data.object) {
    const inner = objectProblem(data.object, sourceNowSeconds);
    if (inner) return `data.object ${inner}`;
  }
  return undefined;
}

/**
 * `eventProblem` for an event whose bytes the list scan vouched for (valid UTF-8, no surrogate
 * escape, no number with an exponent, nesting within bounds), from the members the scans found:
 * only its shape and its times are left to check.
 */
export function scannedEventProblem(
  event: { readonly id: string; readonly type: string; readonly created: number },
  object: { readonly id: string; readonly created: number | undefined },
  sourceNowSeconds: number,
): string | undefined {
  if (event.id.length === 0) return 'has no non-empty string "id"';
  const own = createdProblem(event.created, sourceNowSeconds);
  if (own) return own;
  if (event.type.length === 0) return 'has no string "type"';
  if (object.id.length === 0) return 'data.object has no non-empty string "id"';
  if (object.created === undefined) return undefined;
  const inner = createdProblem(object.created, sourceNowSeconds);
  return inner ? `data.object ${inner}` : undefined;
}
