import type { EntityDef } from '../entities/entity.js';
import { ProtocolError } from '../source/errors.js';
import type { RawListPage, StripeClient } from '../source/stripe-client.js';
import { followDensity, splitDense, type TimeWindow } from './windows.js';

export interface ListSliceOptions {
  readonly client: Pick<StripeClient, 'listRawPage'>;
  /** Objects per page asked for (`limit`). */
  readonly limit: number;
  readonly signal: AbortSignal;
  /** Each page, after its paging was checked and before the next is asked for. */
  readonly onPage: (page: RawListPage) => Promise<void>;
  /** Whether other slices are short of work: only then does a dense slice split (below). */
  readonly starving: () => boolean;
  /** Takes the older part of a dense slice as new concurrent slices. */
  readonly split: (windows: readonly TimeWindow[]) => void;
}

/**
 * Lists `created` in `[window.gte, window.lt)` of one endpoint page by page, newest first. After
 * its first page, a slice whose rest looks like more than a few pages hands the older part to new
 * concurrent slices cut to the density the page showed (`followDensity`: a window asked for whole
 * costs one request when it fits a page). Else, a dense slice while other slices run short hands
 * its older part to new slices and keeps only the objects created in the same second as the last
 * one seen (only then, since every split adds a part-filled page).
 *
 * @example
 * await listSlice(entity('charges'), { gte, lt }, { client, limit: 100, signal, onPage, starving, split });
 */
export async function listSlice(
  def: Pick<EntityDef, 'name' | 'endpoint' | 'listParams'>,
  window: TimeWindow,
  opts: ListSliceOptions,
): Promise<void> {
  const { limit, signal } = opts;
  let gte = window.gte;
  const lt = window.lt;
  let startingAfter: string | undefined;
  // Every cursor this slice has paged from: one seen again means the source is not moving it.
  const cursors = new Set<string>();
  for (let first = true; ; first = false) {
    signal.throwIfAborted();
    const params = {
      limit,
      'created[gte]': gte,
      'created[lt]': lt,
      ...def.listParams,
      starting_after: startingAfter,
    };
    const raw = await opts.client.listRawPage(def.name, def.endpoint, params, signal);
    const { next } = checkPaging(def, raw, limit, startingAfter, cursors);
    await opts.onPage(raw);
    if (next === undefined) break;
    startingAfter = next;
    if (!first || raw.items.length < limit) continue;
    const newest = raw.items[0]?.created;
    const oldest = raw.items.at(-1)?.created;
    if (typeof oldest !== 'number' || typeof newest !== 'number') continue;
    const after = followDensity({ gte, lt }, { newest, oldest, hasMore: true });
    if (after.split.length > 0) {
      opts.split(after.split);
      gte = after.gte;
    } else if (opts.starving()) {
      const older = splitDense({ gte, lt }, oldest);
      if (older.length > 0) {
        opts.split(older);
        gte = oldest;
      }
    }
  }
}

/**
 * The cursor of a list's next page, or undefined on its last page; a `ProtocolError` naming the
 * entity when the source breaks the list protocol in a way that would loop forever or skip
 * objects (SPEC 15): a cursor it already paged from (a server ignoring `starting_after`, or
 * cycling), `has_more` on an empty page, a last object without an id, more objects than `limit`.
 */
export function checkPaging(
  def: Pick<EntityDef, 'name' | 'endpoint'>,
  page: Pick<RawListPage, 'items' | 'hasMore'>,
  limit: number,
  startingAfter: string | undefined,
  cursors: Set<string>,
): { next: string | undefined } {
  const fail = (detail: string) => new ProtocolError(def.name, def.endpoint, detail);
  if (page.items.length > limit) {
    throw fail(`${page.items.length} objects on a page asked for at most limit=${limit}`);
  }
  if (!page.hasMore) return { next: undefined };
  if (page.items.length === 0) throw fail('has_more is true on an empty page: the list cannot go on');
  const id = page.items.at(-1)?.id;
  if (id === undefined) throw fail('has_more is true but the last object has no string "id" to page from');
  if (startingAfter !== undefined) cursors.add(startingAfter);
  if (cursors.has(id)) {
    throw fail(
      `the list cursor does not advance: the page after starting_after=${startingAfter} ends with ${id} again (the source ignores starting_after or repeats pages)`,
    );
  }
  return { next: id };
}
