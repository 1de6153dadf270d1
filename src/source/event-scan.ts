import { BACKSLASH, COLON, COMMA, LBRACE, LBRACKET, QUOTE, RBRACE, RBRACKET } from './list-scan.js';

/**
 * Where an event's `data.object` lies in the event's JSON bytes, with the members routing needs
 * (`id`, `object`, `created`), found without parsing the event. The events pass then stores a
 * routed object's bytes as the API sent them, as list pages are stored, instead of parsing each
 * event, walking it and serialising its object again (most of a daily extraction's CPU).
 *
 * Only for an element `scanList` vouched for (valid UTF-8, compact, strings closed with valid
 * escapes, containers balanced, no surrogate escape, depth at most 64): this scan relies on that
 * and follows only strings and depth. It gives undefined for whatever it cannot vouch for, and the
 * caller parses the event instead: a repeated `data`, `object`, `id` or `created` member
 * (`JSON.parse` keeps the last), an `id` or `object` that is not an ASCII string without escapes, a `created`
 * that is not a safe integer, no `id`, no `data.object` object.
 *
 * @example
 * scanEventObject(Buffer.from('{"id":"evt_1","data":{"object":{"id":"ch_1","object":"charge"}}}'))
 * // -> { start: 31, end: 63, id: 'ch_1', object: 'charge', created: undefined }
 */
export interface EventObject {
  /** Bytes `[start, end)` of the event: the object's JSON. */
  readonly start: number;
  readonly end: number;
  readonly id: string;
  readonly object: string | undefined;
  readonly created: number | undefined;
}

/** Depths of members: the event's (1), `data`'s (2), the object's (3). */
const EVENT = 1;
const DATA = 2;
const OBJECT = 3;
const MAX_DEPTH = 64;

/** Whether the string `stringEnd` just scanned had an escape (a scratch flag: no allocation). */
let escaped = false;

/** The index of the closing quote of the string opened at `i`, or -1 (unclosed). */
function stringEnd(buf: Uint8Array, i: number): number {
  escaped = false;
  for (let j = i + 1; j < buf.length; j++) {
    const b = buf[j]!;
    if (b === BACKSLASH) {
      escaped = true;
      j++;
    } else if (b === QUOTE) return j;
  }
  return -1;
}

/** The ASCII text of `[start, end)` when it has no escape and no byte beyond ASCII. */
function plain(buf: Uint8Array, start: number, end: number): string | undefined {
  let s = '';
  for (let k = start; k < end; k++) {
    const b = buf[k]!;
    if (b === BACKSLASH || b >= 0x80) return undefined;
    s += String.fromCharCode(b);
  }
  return s;
}

/** The members told apart: any other key is `OTHER`. */
const OTHER = 0;
const K_DATA = 1;
const K_OBJECT = 2;
const K_ID = 3;
const K_CREATED = 4;
const NAMES = new Map([
  ['data', K_DATA],
  ['object', K_OBJECT],
  ['id', K_ID],
  ['created', K_CREATED],
]);
const NAME_BYTES = [...NAMES].map(([name, code]) => ({ bytes: Buffer.from(name), code }));

/**
 * Which of our members the key whose quotes are at `i` and `j` names (`stringEnd` just scanned
 * it): an escaped key is decoded first (`"\u0069d"` is `id`).
 */
function keyCode(buf: Uint8Array, i: number, j: number): number {
  if (escaped) {
    const key = JSON.parse(Buffer.from(buf.subarray(i, j + 1)).toString('utf8')) as string;
    return NAMES.get(key) ?? OTHER;
  }
  const len = j - i - 1;
  for (const { bytes, code } of NAME_BYTES) {
    if (bytes.length !== len) continue;
    let k = 0;
    while (k < len && buf[i + 1 + k] === bytes[k]) k++;
    if (k === len) return code;
  }
  return OTHER;
}

export function scanEventObject(buf: Uint8Array): EventObject | undefined {
  // container kinds by depth: true for an object
  const isObject: boolean[] = [];
  let depth = 0;
  let expectKey = false;
  // the member whose value comes next, when at a depth followed (<= OBJECT)
  let key = OTHER;
  let inData = false;
  let start = -1;
  let end = -1;
  let dataSeen = 0;
  let objectSeen = 0;
  let idSeen = 0;
  let typeSeen = 0;
  let createdSeen = 0;
  let id: string | undefined;
  let object: string | undefined;
  let created: number | undefined;
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i]!;
    // whether a member read now belongs to the object routed
    const inTarget = depth === OBJECT && start >= 0 && end < 0;
    if (c === QUOTE) {
      const j = stringEnd(buf, i);
      if (j < 0) return undefined;
      if (expectKey) {
        expectKey = false;
        key = depth <= OBJECT ? keyCode(buf, i, j) : OTHER;
        if (key === K_DATA && depth === EVENT) dataSeen++;
        else if (key === K_OBJECT && depth === DATA && inData) objectSeen++;
        else if (inTarget && key === K_ID) idSeen++;
        else if (inTarget && key === K_OBJECT) typeSeen++;
        else if (inTarget && key === K_CREATED) createdSeen++;
      } else {
        if (inTarget && (key === K_ID || key === K_OBJECT)) {
          const v = escaped ? undefined : plain(buf, i + 1, j);
          if (v === undefined) return undefined;
          if (key === K_ID) id = v;
          else object = v;
        } else if (inTarget && key === K_CREATED) return undefined;
        key = OTHER;
      }
      i = j;
      continue;
    }
    switch (c) {
      case LBRACE:
      case LBRACKET: {
        if (depth >= MAX_DEPTH) return undefined;
        if (inTarget && (key === K_ID || key === K_OBJECT || key === K_CREATED)) return undefined;
        if (c === LBRACE && depth === EVENT && key === K_DATA) inData = true;
        else if (c === LBRACE && depth === DATA && inData && key === K_OBJECT) {
          start = i;
          end = -1;
        }
        isObject[++depth] = c === LBRACE;
        expectKey = c === LBRACE;
        key = OTHER;
        break;
      }
      case RBRACE:
      case RBRACKET:
        if (depth === OBJECT && start >= 0 && end < 0) end = i + 1;
        if (depth === DATA) inData = false;
        depth--;
        expectKey = false;
        key = OTHER;
        break;
      case COMMA:
        expectKey = isObject[depth] === true;
        key = OTHER;
        break;
      case COLON:
        break;
      default: {
        // a literal: a number, true, false or null
        let j = i + 1;
        while (j < buf.length && !isEndOfLiteral(buf[j]!)) j++;
        if (inTarget && (key === K_ID || key === K_OBJECT)) return undefined;
        if (inTarget && key === K_CREATED) {
          const v = Number(plain(buf, i, j));
          if (!Number.isSafeInteger(v)) return undefined;
          created = v;
        }
        key = OTHER;
        i = j - 1;
      }
    }
  }
  if (depth !== 0 || dataSeen !== 1 || objectSeen !== 1 || start < 0 || end < 0) return undefined;
  if (idSeen !== 1 || typeSeen > 1 || createdSeen > 1 || !id) return undefined;
  return { start, end, id, object, created };
}

function isEndOfLiteral(b: number): boolean {
  return (
    b === COMMA ||
    b === RBRACE ||
    b === RBRACKET ||
    b === COLON ||
    b === QUOTE ||
    b === LBRACE ||
    b === LBRACKET
  );
}
