import { ApiError, resourceMissing } from '../api-error.js';

/**
 * The child collections read through their parent (SPEC 4.1): a subscription's items
 * (`GET /v1/subscription_items?subscription=`) and an invoice's lines (`GET /v1/invoices/:id/lines`).
 * Pure functions over the parent object; the dataset supplies the parent's current version.
 */

export type ChildCollection = 'subscription_items' | 'invoice_line_items';

/** Per collection: the parent entity, the parent's embedded list field, the child's object name. */
export const CHILD_COLLECTIONS = {
  subscription_items: {
    parent: 'subscriptions',
    parentObject: 'subscription',
    field: 'items',
    object: 'subscription_item',
  },
  invoice_line_items: { parent: 'invoices', parentObject: 'invoice', field: 'lines', object: 'line_item' },
} as const satisfies Record<
  ChildCollection,
  { parent: string; parentObject: string; field: string; object: string }
>;

/** One child object: its id (for cursors) and its JSON text. */
export interface ChildJson {
  readonly id: string;
  readonly json: string;
}

/**
 * Every child embedded in a parent object, in list order: the whole list while the renderer
 * embeds it whole (`has_more: false`).
 */
export function childrenOf(collection: ChildCollection, parent: Record<string, unknown>): ChildJson[] {
  const list = parent[CHILD_COLLECTIONS[collection].field] as { data?: { id: string }[] } | undefined;
  return (list?.data ?? []).map((c) => ({ id: c.id, json: JSON.stringify(c) }));
}

/** The list request of a child route: Stripe's `limit`, `starting_after`, `ending_before`. */
export interface ChildPageQuery {
  readonly limit: number;
  readonly startingAfter?: string;
  readonly endingBefore?: string;
}

/**
 * One page of a child list, Stripe's semantics: `starting_after` pages forward, `ending_before`
 * gives the `limit` children just before the cursor (in list order); an unknown cursor is a 400
 * `resource_missing`, never a silent restart.
 */
export function pageOfChildren<T extends { id: string }>(
  children: readonly T[],
  q: ChildPageQuery,
  objectName: string,
): { data: T[]; hasMore: boolean } {
  const at = (cursor: string, param: string): number => {
    const k = children.findIndex((c) => c.id === cursor);
    if (k < 0) throw resourceMissing(400, objectName, cursor, param);
    return k;
  };
  if (q.endingBefore !== undefined) {
    const end = at(q.endingBefore, 'ending_before');
    const start = Math.max(0, end - q.limit);
    return { data: children.slice(start, end), hasMore: start > 0 };
  }
  const start = q.startingAfter === undefined ? 0 : at(q.startingAfter, 'starting_after') + 1;
  const data = children.slice(start, start + q.limit);
  return { data, hasMore: start + q.limit < children.length };
}

/** Stripe's 400 for a required parameter left out (`subscription` on the items list). */
export const parameterMissing = (param: string): ApiError =>
  new ApiError(400, 'invalid_request_error', 'parameter_missing', `Missing required param: ${param}.`, param);
