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

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

/** Depths of members: the event's (1), `data`'s (2), the object's (3). */
const EVENT = 1;
const DATA = 2;
const OBJECT = 3;
const MAX_DEPTH = 64;

/** The index of the closing quote of the string opened at `i`, or -1 (unclosed). */
function stringEnd(buf: Uint8Array, i: number): number {
  for (let j = i + 1; j < buf.length; j++) {
    const b = buf[j]!;
    if (b === BACKSLASH) j++;
    else if (b === QUOTE) return j;
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

/**
 * The text of the key whose quotes are at `i` and `j`, as far as telling our members apart needs:
 * an escaped key is decoded (`"\u0069d"` is `id`), one beyond ASCII is none of ours.
 */
function keyText(buf: Uint8Array, i: number, j: number): string {
  let s = '';
  for (let k = i + 1; k < j; k++) {
    const b = buf[k]!;
    if (b === BACKSLASH) return JSON.parse(Buffer.from(buf.subarray(i, j + 1)).toString('utf8')) as string;
    if (b >= 0x80) return NOT_OURS;
    s += String.fromCharCode(b);
  }
  return s;
}
const NOT_OURS = '\u0080';

export function scanEventObject(buf: Uint8Array): EventObject | undefined {
  // container kinds by depth: true for an object
  const isObject: boolean[] = [];
  let depth = 0;
  let expectKey = false;
  // the key of the member whose value comes next, when at a depth followed (<= OBJECT)
  let key: string | undefined;
  let inData = false;
  let start = -1;
  let end = -1;
  const seen = { data: 0, object: 0, id: 0, type: 0, created: 0 };
  let id: string | undefined;
  let object: string | undefined;
  let created: number | undefined;
  // whether the value about to be read is a member of the object routed
  const inTarget = () => depth === OBJECT && start >= 0 && end < 0;
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i]!;
    if (c === QUOTE) {
      const j = stringEnd(buf, i);
      if (j < 0) return undefined;
      if (expectKey) {
        expectKey = false;
        key = depth <= OBJECT ? keyText(buf, i, j) : undefined;
        if (depth === EVENT && key === 'data') seen.data++;
        else if (depth === DATA && inData && key === 'object') seen.object++;
        else if (inTarget() && key === 'id') seen.id++;
        else if (inTarget() && key === 'object') seen.type++;
        else if (inTarget() && key === 'created') seen.created++;
      } else {
        if (inTarget() && (key === 'id' || key === 'object')) {
          const v = plain(buf, i + 1, j);
          if (v === undefined) return undefined;
          if (key === 'id') id = v;
          else object = v;
        } else if (inTarget() && key === 'created') return undefined;
        key = undefined;
      }
      i = j;
      continue;
    }
    switch (c) {
      case LBRACE:
      case LBRACKET: {
        if (depth >= MAX_DEPTH) return undefined;
        if (inTarget() && (key === 'id' || key === 'object' || key === 'created')) return undefined;
        if (c === LBRACE && depth === EVENT && key === 'data') inData = true;
        else if (c === LBRACE && depth === DATA && inData && key === 'object') {
          start = i;
          end = -1;
        }
        isObject[++depth] = c === LBRACE;
        expectKey = c === LBRACE;
        key = undefined;
        break;
      }
      case RBRACE:
      case RBRACKET:
        if (depth === OBJECT && start >= 0 && end < 0) end = i + 1;
        if (depth === DATA) inData = false;
        depth--;
        expectKey = false;
        key = undefined;
        break;
      case COMMA:
        expectKey = isObject[depth] === true;
        key = undefined;
        break;
      case COLON:
        break;
      default: {
        // a literal: a number, true, false or null
        let j = i + 1;
        while (j < buf.length && !isEndOfLiteral(buf[j]!)) j++;
        if (inTarget() && (key === 'id' || key === 'object')) return undefined;
        if (inTarget() && key === 'created') {
          const v = Number(plain(buf, i, j));
          if (!Number.isSafeInteger(v)) return undefined;
          created = v;
        }
        key = undefined;
        i = j - 1;
      }
    }
  }
  if (depth !== 0 || seen.data !== 1 || seen.object !== 1 || start < 0 || end < 0) return undefined;
  if (seen.id !== 1 || seen.type > 1 || seen.created > 1 || !id) return undefined;
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
