/**
 * The declaration of one Stripe entity. Everything else (the mock's routes and generators, the
 * extractor's windows, the event router, the Silver contracts and the quality checks) is derived
 * from these declarations, never from lookup tables of its own.
 */

/** Entities that are listed from the API and land in Bronze. */
export type EntityName =
  | 'customers'
  | 'payment_intents'
  | 'charges'
  | 'refunds'
  | 'invoices'
  | 'subscriptions'
  | 'balance_transactions'
  | 'disputes'
  | 'products'
  | 'prices'
  | 'coupons'
  | 'payouts'
  | 'events';

/**
 * Child collections read through their parent (SPEC 4.1): no list window of their own; their
 * Bronze holds the pages fetched by parent (`has_more` lists, `?payout=`).
 */
export type ChildName = 'subscription_items' | 'invoice_line_items' | 'payout_balance_transactions';

/** Bronze/Silver tables: the API entities, their child collections, and webhook deliveries. */
export type TableName = EntityName | ChildName | 'webhook_events';

export interface EntityDef {
  readonly name: EntityName;
  /** The `object` field of the API's objects (`charge`), used to route event objects. */
  readonly objectName: string;
  /** Id prefixes, the first being the one the mock generates. */
  readonly idPrefixes: readonly string[];
  /** List endpoint path, e.g. `/v1/charges`. */
  readonly endpoint: string;
  /**
   * Extra query parameters every list call needs. Stripe quirk: listing subscriptions hides
   * canceled ones unless `status=all`.
   */
  readonly listParams: Readonly<Record<string, string>>;
  /** Entities whose objects this one references; parents extract and build first. */
  readonly dependsOn: readonly EntityName[];
  /** Whether objects change after creation (and so need the events pass). */
  readonly mutable: boolean;
  /** Every event type whose `data.object` is a version of this entity (creations and changes). */
  readonly eventTypes: readonly string[];
  /**
   * The subset of `eventTypes` whose `data.object` is a deletion: the object becomes a tombstone.
   * `customer.subscription.deleted` is NOT one: the subscription lives on with status `canceled`.
   */
  readonly deleteEvents: readonly string[];
  /**
   * Objects that change without emitting an event are re-read over this many seconds before the
   * window start (balance transactions turn `available` at `available_on` silently). 0 = none.
   */
  readonly changeLookbackSeconds: number;
  /**
   * The top-level `status` values in which such an object may still change (a balance transaction
   * `pending`). When given, the lookback reaches back only to the oldest object the last listing
   * saw in one of them (or with no readable `status`), never further than `changeLookbackSeconds`:
   * every object before it had reached a final state, which no later change leaves.
   */
  readonly unsettledStatuses?: readonly string[];
}
