/**
 * One pass over the bytes of a compact Stripe list body (`{"object":"list","data":[…],
 * "has_more":…}`) that finds what extraction needs without decoding or parsing the page: each
 * `data` element's byte range (its JSON exactly as sent, which Bronze stores as is), its top-level
 * `id`, `created`, `type` (what routes an event) and `status` (whether it may still change without
 * an event), and `has_more`.
 *
 * Decoding a page to a string and `JSON.parse`-ing it, then encoding each record back to UTF-8
 * for the Bronze file, was over half the extractor's CPU; the scan reads each byte once.
 *
 * What it checks, so that a slice is never wrong: valid UTF-8 (native `isUtf8`), containers
 * balanced and of matching kinds, strings closed, free of raw control characters (so a slice
 * is always one JSONL line) and with valid escapes, keys where keys belong, a colon after every key, only JSON's literal
 * characters outside strings, one value at the top, and every element an object with a string
 * `id`. It does not check the grammar of numbers and literals (`01`, `tru`): the API does not send
 * those, and the transform's JSON reader reports such a line with its key and line number.
 * Anything it does not expect — whitespace outside strings (Stripe's own pretty-printed bodies),
 * escapes inside an `id`, depth over 64 — gives `undefined`, and the caller parses the page
 * instead: at worst the slower path, never a wrong record.
 *
 * @example
 * scanList(Buffer.from('{"object":"list","data":[{"id":"ch_1","created":5}],"has_more":false}'))
 * // -> { items: [{ start: 26, end: 50, id: 'ch_1', created: 5, type: undefined, status: undefined }], hasMore: false }
 */
import { isUtf8 } from 'node:buffer';

/** One `data` element: bytes `[start, end)` of the body, its top-level `id` and `created`. */
export interface ScannedItem {
  readonly start: number;
  readonly end: number;
  readonly id: string;
  /** Its top-level `created` when that is a number. */
  readonly created: number | undefined;
  /** Its top-level `type` when that is an ASCII string without escapes (an event's type). */
  readonly type: string | undefined;
  /** Its top-level `status` when that is an ASCII string without escapes. */
  readonly status: string | undefined;
  /**
   * Worth a closer look before it goes to Bronze (SPEC 15): it escapes a UTF-16 surrogate
   * (`\ud800`, possibly lone), has a number with an exponent (possibly out of range), or has a
   * `created` that is not a plain number.
   */
  readonly suspect: boolean;
}

export interface ScannedList {
  readonly items: ScannedItem[];
  readonly hasMore: boolean;
}

const MAX_DEPTH = 64;
const OBJECT = 1;
const ARRAY = 2;
/** Depth of a `data` element's own keys: the body (1), `data` (2), the element (3). */
const ITEM = 3;

/** JSON's structural bytes (shared with `event-scan.ts`). */
export const QUOTE = 0x22;
export const BACKSLASH = 0x5c;
export const LBRACE = 0x7b;
export const RBRACE = 0x7d;
export const LBRACKET = 0x5b;
export const RBRACKET = 0x5d;
export const COLON = 0x3a;
export const COMMA = 0x2c;

/** Bytes that may appear in numbers and in `true`, `false`, `null`. */
const LITERAL = new Uint8Array(256);
for (const ch of '0123456789-+.eEtrufalsn') LITERAL[ch.charCodeAt(0)] = 1;

/** Bytes that may follow a backslash in a string (`u` takes four hex digits). */
const ESCAPE = new Uint8Array(256);
for (const ch of '"\\/bfnrt') ESCAPE[ch.charCodeAt(0)] = 1;
const HEX = new Uint8Array(256);
for (const ch of '0123456789abcdefABCDEF') HEX[ch.charCodeAt(0)] = 1;

const KEY_ID = bytes('id');
const KEY_CREATED = bytes('created');
const KEY_TYPE = bytes('type');
const KEY_STATUS = bytes('status');
const KEY_DATA = bytes('data');
const KEY_HAS_MORE = bytes('has_more');

function bytes(s: string): Uint8Array {
  return Uint8Array.from(s, (ch) => ch.charCodeAt(0));
}

function keyIs(buf: Uint8Array, start: number, end: number, key: Uint8Array): boolean {
  if (end - start !== key.length) return false;
  for (let k = 0; k < key.length; k++) if (buf[start + k] !== key[k]) return false;
  return true;
}

function latin1(buf: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let k = start; k < end; k++) s += String.fromCharCode(buf[k]!);
  return s;
}

/** The bytes as a string when all are ASCII (ids are), else `undefined`. */
function ascii(buf: Uint8Array, start: number, end: number): string | undefined {
  for (let k = start; k < end; k++) if (buf[k]! >= 0x80) return undefined;
  return latin1(buf, start, end);
}

function hasExponent(buf: Uint8Array, start: number, end: number): boolean {
  for (let k = start; k < end; k++) if ((buf[k]! | 0x20) === 0x65) return true;
  return false;
}

/** What the string `stringEnd` just scanned held (one scratch object: no allocation per string). */
const scanned = { escaped: false, surrogate: false };

/**
 * The index of the closing quote of the string whose opening quote is at `i`, or -1 when the scan
 * cannot vouch for it (unclosed, a raw control character, an invalid escape); `scanned` says
 * whether it had escapes and whether one was a UTF-16 surrogate (`\ud800`-`\udfff`).
 */
function stringEnd(buf: Uint8Array, i: number, n: number): number {
  scanned.escaped = false;
  scanned.surrogate = false;
  for (let j = i + 1; j < n; j++) {
    const b = buf[j]!;
    if (b < 0x20) return -1;
    if (b === BACKSLASH) {
      scanned.escaped = true;
      const e = buf[++j];
      if (e === 0x75 /* u */) {
        for (let h = 1; h <= 4; h++) if (HEX[buf[j + h] ?? 0] !== 1) return -1;
        // \uD800-\uDFFF: a surrogate, lone unless paired; the caller parses and checks.
        const h2 = buf[j + 2]! | 0x20;
        if ((buf[j + 1]! | 0x20) === 0x64 && (h2 === 0x38 || h2 === 0x39 || (h2 >= 0x61 && h2 <= 0x66)))
          scanned.surrogate = true;
        j += 4;
      } else if (e === undefined || ESCAPE[e] !== 1) return -1;
    } else if (b === QUOTE) return j;
  }
  return -1;
}

/** A `data` element while it is scanned (pushed as a `ScannedItem` when it closes). */
interface ItemInProgress {
  start: number;
  end: number;
  id: string | undefined;
  created: number | undefined;
  type: string | undefined;
  status: string | undefined;
  suspect: boolean;
}

function newItem(start: number): ItemInProgress {
  return {
    start,
    end: -1,
    id: undefined,
    created: undefined,
    type: undefined,
    status: undefined,
    suspect: false,
  };
}

/**
 * Takes what an element's top-level string value `[s, j)` (just scanned by `stringEnd`) says
 * about it, by its key `[keyStart, keyEnd)`; false when the scan cannot vouch for the element (an
 * `id` with escapes or beyond ASCII).
 */
function itemString(
  item: ItemInProgress,
  buf: Uint8Array,
  keyStart: number,
  keyEnd: number,
  s: number,
  j: number,
): boolean {
  if (keyIs(buf, keyStart, keyEnd, KEY_ID)) {
    if (scanned.escaped) return false;
    item.id = ascii(buf, s, j);
    return item.id !== undefined;
  }
  if (keyIs(buf, keyStart, keyEnd, KEY_TYPE)) {
    if (!scanned.escaped) item.type = ascii(buf, s, j);
  } else if (keyIs(buf, keyStart, keyEnd, KEY_STATUS)) {
    if (!scanned.escaped) item.status = ascii(buf, s, j);
  } else if (keyIs(buf, keyStart, keyEnd, KEY_CREATED)) item.suspect = true;
  return true;
}

/** Scans a list body; `undefined` when it is not a compact list this scan can vouch for. */
export function scanList(buf: Uint8Array): ScannedList | undefined {
  if (!isUtf8(buf)) return undefined;
  const n = buf.length;
  const stack = new Uint8Array(MAX_DEPTH + 1);
  const items: ScannedItem[] = [];
  let depth = 0;
  let topValues = 0;
  let expectKey = false;
  let needColon = false;
  // The key whose value comes next, as a byte range of `buf`.
  let keyStart = -1;
  let keyEnd = -1;
  // A value just ended: a comma or a close must come next.
  let afterValue = false;
  let inData = false;
  let sawData = false;
  let hasMore: boolean | undefined;
  // A fresh object per element: it becomes the element's `ScannedItem`.
  let item = newItem(-1);

  for (let i = 0; i < n; i++) {
    const c = buf[i]!;
    if (needColon && c !== COLON) return undefined;
    if (c === QUOTE) {
      const s = i + 1;
      const j = stringEnd(buf, i, n);
      if (j < 0 || afterValue) return undefined;
      if (scanned.surrogate && inData && depth >= ITEM) item.suspect = true;
      if (expectKey) {
        keyStart = s;
        keyEnd = j;
        expectKey = false;
        needColon = true;
      } else {
        if (depth === 0 || (depth === ITEM - 1 && inData)) return undefined;
        if (stack[depth] === OBJECT && keyStart < 0) return undefined;
        if (depth === ITEM && inData && !itemString(item, buf, keyStart, keyEnd, s, j)) return undefined;
        keyStart = -1;
        afterValue = true;
      }
      i = j;
      continue;
    }
    if (expectKey && c !== RBRACE) return undefined;
    switch (c) {
      case LBRACE:
      case LBRACKET: {
        if (afterValue || (depth === 0 && topValues++ > 0)) return undefined;
        if (depth === MAX_DEPTH) return undefined;
        if (depth > 0 && stack[depth] === OBJECT && keyStart < 0) return undefined;
        if (c === LBRACKET && depth === 1 && keyIs(buf, keyStart, keyEnd, KEY_DATA)) {
          if (sawData) return undefined;
          inData = true;
          sawData = true;
        }
        if (depth === ITEM - 1 && inData) {
          if (c !== LBRACE) return undefined;
          item = newItem(i);
        }
        // An object or array as an item's `created`.
        if (depth === ITEM && inData && keyIs(buf, keyStart, keyEnd, KEY_CREATED)) item.suspect = true;
        stack[++depth] = c === LBRACE ? OBJECT : ARRAY;
        expectKey = c === LBRACE;
        keyStart = -1;
        break;
      }
      case RBRACE:
      case RBRACKET: {
        if (depth === 0 || stack[depth] !== (c === RBRACE ? OBJECT : ARRAY)) return undefined;
        // `{"a":}` or `{"a":1,}`: a key without its value, or a comma before the close.
        if (keyStart >= 0 || buf[i - 1] === COMMA) return undefined;
        if (depth === ITEM && inData) {
          if (item.id === undefined) return undefined;
          item.end = i + 1;
          items.push(item as ScannedItem);
        }
        depth--;
        if (depth === 1 && inData) inData = false;
        expectKey = false;
        keyStart = -1;
        afterValue = true;
        break;
      }
      case COLON:
        if (!needColon) return undefined;
        needColon = false;
        break;
      case COMMA:
        if (depth === 0 || !afterValue) return undefined;
        afterValue = false;
        expectKey = stack[depth] === OBJECT;
        keyStart = -1;
        break;
      default: {
        if (LITERAL[c] !== 1 || afterValue || (depth === ITEM - 1 && inData)) return undefined;
        if (depth === 0) {
          if (topValues++ > 0) return undefined;
        } else if (stack[depth] === OBJECT && keyStart < 0) return undefined;
        let j = i + 1;
        while (j < n && LITERAL[buf[j]!] === 1) j++;
        // A number with an exponent may be out of range (`1e999` parses as Infinity): a closer look.
        if (inData && depth >= ITEM && c !== 0x74 && c !== 0x66 && c !== 0x6e && hasExponent(buf, i, j))
          item.suspect = true;
        if (depth === ITEM && inData && keyIs(buf, keyStart, keyEnd, KEY_CREATED)) {
          const v = Number(latin1(buf, i, j));
          item.created = Number.isFinite(v) ? v : undefined;
          if (!Number.isSafeInteger(v)) item.suspect = true;
        } else if (depth === 1 && keyIs(buf, keyStart, keyEnd, KEY_HAS_MORE)) {
          const lit = latin1(buf, i, j);
          if (lit !== 'true' && lit !== 'false') return undefined;
          hasMore = lit === 'true';
        }
        keyStart = -1;
        afterValue = true;
        i = j - 1;
      }
    }
  }
  if (depth !== 0 || needColon || stack[1] !== OBJECT || !sawData || hasMore === undefined) return undefined;
  return { items, hasMore };
}
