import { createdProblem, eventProblem, objectProblem } from '../quarantine/readable.js';
import type { RawItem } from '../source/stripe-client.js';

/** A list element that must not reach Bronze, and why. */
export interface Rejected {
  readonly item: RawItem;
  readonly reason: string;
}

/**
 * Splits a page's elements into those a transform can read and those to quarantine (SPEC 15).
 * Cheap for what the scan vouched for (a string id, a numeric `created` checked against the
 * source's clock); an element the scan flagged, or one from a parsed body, is parsed (once) and
 * checked whole. Objects (`kind: 'object'`) need a string id and a Stripe `created` when they
 * have one; events (`kind: 'event'`) also a type, a `created` and a `data.object`.
 *
 * @example
 * const { good, rejected } = screenItems(page.items, 'object', page.sourceTime);
 */
export function screenItems(
  items: readonly RawItem[],
  kind: 'object' | 'event',
  sourceNowSeconds: number,
): { good: RawItem[]; rejected: Rejected[] } {
  const good: RawItem[] = [];
  const rejected: Rejected[] = [];
  for (const item of items) {
    const needsParse =
      item.suspect ||
      item.id === undefined ||
      (kind === 'event' && (item.type === undefined || item.created === undefined));
    let reason: string | undefined;
    if (!needsParse) {
      reason = item.created === undefined ? undefined : createdProblem(item.created, sourceNowSeconds);
    } else {
      let value = item.value;
      if (value === undefined) {
        try {
          value = JSON.parse(item.json.toString('utf8'));
        } catch (err) {
          reason = `not JSON (${(err as Error).message})`;
        }
      }
      reason ??=
        kind === 'event' ? eventProblem(value, sourceNowSeconds) : objectProblem(value, sourceNowSeconds);
    }
    if (reason) rejected.push({ item, reason });
    else good.push(item);
  }
  return { good, rejected };
}
