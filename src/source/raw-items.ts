/**
 * The JSON text of each element of a list response's `data`, exactly as the API sent it, so that
 * Bronze can store the object without serialising it again (re-serialising every object was
 * about a fifth of the extractor's CPU, its largest cost besides parsing).
 *
 * Found by anchoring on each parsed object's id (`{"id":"<id>"`, in order, each preceded by `[` or
 * `,`); the last element ends at the `]` before the list's `,"has_more":` and is parsed back to
 * check. The anchors rely on what Stripe's lists are: no list nests objects of its own type (a
 * charge embeds refunds, an invoice its lines, an event another kind of object), so a list
 * element's id appears as an object's first key only at that element; where it appears nested
 * all the same, right after `[`, the slicing declines. Only compact bodies (no newline) are sliced: pretty-printed JSON would need its
 * whitespace removed to stay one line. Anything unexpected gives `undefined`, and the caller
 * serialises the parsed objects instead: never a wrong slice, at worst the slower path.
 *
 * @example
 * rawListItems('{"object":"list","data":[{"id":"a","n":1}],"has_more":false}', [{ id: 'a', n: 1 }])
 * // -> ['{"id":"a","n":1}']
 */
export function rawListItems(text: string, data: readonly Record<string, unknown>[]): string[] | undefined {
  if (data.length === 0) return [];
  if (text.includes('\n')) return undefined;
  const starts: number[] = [];
  let from = 0;
  for (const obj of data) {
    if (typeof obj.id !== 'string') return undefined;
    const at = text.indexOf(`{"id":${JSON.stringify(obj.id)}`, from);
    if (at <= 0) return undefined;
    const before = text.charCodeAt(at - 1);
    if (starts.length === 0 ? before !== 0x5b /* [ */ : before !== 0x2c /* , */) return undefined;
    if (starts.length > 0 && text.charCodeAt(at - 2) !== 0x7d /* } */) return undefined;
    starts.push(at);
    from = at + 1;
  }
  const end = text.lastIndexOf('],"has_more":');
  const lastStart = starts[starts.length - 1]!;
  if (end <= lastStart || text.charCodeAt(end - 1) !== 0x7d) return undefined;
  const last = text.slice(lastStart, end);
  try {
    if ((JSON.parse(last) as { id?: unknown }).id !== data[data.length - 1]!.id) return undefined;
  } catch {
    return undefined;
  }
  const out: string[] = [];
  for (let k = 0; k < starts.length - 1; k++) out.push(text.slice(starts[k], starts[k + 1]! - 1));
  out.push(last);
  return out;
}
