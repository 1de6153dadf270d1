import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SILVER_CONTRACTS } from '../../src/contracts/silver.js';
import type { TableName } from '../../src/entities/entity.js';
import { OBJECT_ENTITIES } from '../../src/entities/lookups.js';
import { readLayer } from './lake.js';
import { fetchTruth } from './mock-control.js';

/**
 * A small mock world in which every kind of change happens (the `tiny` preset has no deleted
 * customer, no dispute and no cancellation at the tests' clock): 50 days of history, so some
 * customers are deleted (40+ days after creation) and subscriptions canceled (a month or more
 * in), 2 charges and 2 customers a day so it stays about as small as `tiny` (~640 objects).
 * Seed 32 at `CHANGES_NOW`, then `CHANGES_STEP` later: a customer deleted, a dispute closed,
 * refunds and subscription updates. `censusOf` counts them; the tests assert the counts.
 */
export const CHANGES_WORLD = {
  preset: 'tiny',
  days: 50,
  chargesPerDay: 2,
  customersPerDay: 2,
  seed: 32,
} as const;
export const CHANGES_NOW = Date.UTC(2024, 5, 15, 12, 0, 0) / 1000;
/** The incremental run's distance from the first load. */
export const CHANGES_STEP = 7 * 86_400;
/** DEFAULT_DAYS that covers the world's whole history (objects reach ~14 days before it). */
export const CHANGES_DEFAULT_DAYS = 80;

/** The kinds of change in a mock's truth, counted (`disputeStatuses`: id -> status). */
export interface Census {
  readonly deletedCustomers: number;
  readonly disputes: number;
  readonly disputeStatuses: ReadonlyMap<string, string>;
  readonly refunds: number;
  readonly canceledSubscriptions: number;
}

export async function censusOf(mockUrl: string): Promise<Census> {
  const [customers, disputes, refunds, subscriptions] = await Promise.all(
    ['customers', 'disputes', 'refunds', 'subscriptions'].map((e) => fetchTruth(mockUrl, e)),
  );
  return {
    deletedCustomers: customers!.filter((c) => c.deleted === true).length,
    disputes: disputes!.length,
    disputeStatuses: new Map(disputes!.map((d) => [String(d.id), String(d.status)])),
    refunds: refunds!.length,
    canceledSubscriptions: subscriptions!.filter((s) => s.status === 'canceled').length,
  };
}

type Obj = Record<string, unknown>;

/** Silver columns the truth cannot say anything about: where and when a version was loaded. */
const LINEAGE = new Set(['_version_ts', '_source', '_run_id', '_ingested_at', '_bronze_key']);

/** The id of a reference: a string id, an expanded object's id, or null. */
function refId(v: unknown): unknown {
  if (v && typeof v === 'object') return (v as Obj).id ?? null;
  return v ?? null;
}

/** A field of a nested object by path (`outcome.type`), undefined when a step is missing. */
function at(o: unknown, ...path: (string | number)[]): unknown {
  let v = o;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[p];
  }
  return v;
}

/** The first argument that is neither undefined nor null (null when none). */
const first = (...vs: unknown[]): unknown => vs.find((v) => v !== undefined && v !== null) ?? null;

/**
 * The Silver columns whose value is not the same-named field (or `<x>_id` = the id of `<x>`,
 * `<x>_ts` = the time `<x>`, `is_<x>` = `<x>`) of the Stripe object: how each follows from it
 * (Stripe's object reference for the field, and the older API shapes Silver also reads).
 */
const SPECIAL: Partial<Record<TableName, Record<string, (t: Obj) => unknown>>> = {
  charges: {
    outcome_type: (t) => at(t, 'outcome', 'type'),
    payment_method_type: (t) => at(t, 'payment_method_details', 'type'),
    card_brand: (t) => at(t, 'payment_method_details', 'card', 'brand'),
  },
  invoices: {
    subscription_id: (t) =>
      first(refId(t.subscription), at(t, 'parent', 'subscription_details', 'subscription')),
    payment_intent_id: (t) =>
      first(refId(t.payment_intent), at(t, 'payments', 'data', 0, 'payment', 'payment_intent')),
    charge_id: (t) => first(refId(t.charge), at(t, 'payments', 'data', 0, 'payment', 'charge')),
    line_item_count: (t) =>
      first(at(t, 'lines', 'total_count'), (at(t, 'lines', 'data') as unknown[] | undefined)?.length),
    paid_at_ts: (t) => at(t, 'status_transitions', 'paid_at'),
  },
  // Stripe's refund and balance transaction objects have no livemode: null in Silver.
  refunds: { livemode: (t) => t.livemode ?? null },
  balance_transactions: { livemode: (t) => t.livemode ?? null },
  prices: {
    recurring_interval: (t) => at(t, 'recurring', 'interval') ?? null,
    recurring_interval_count: (t) => at(t, 'recurring', 'interval_count') ?? null,
  },
  subscriptions: {
    current_period_start_ts: (t) =>
      first(t.current_period_start, at(t, 'items', 'data', 0, 'current_period_start')),
    current_period_end_ts: (t) =>
      first(t.current_period_end, at(t, 'items', 'data', 0, 'current_period_end')),
  },
};

/**
 * How Silver column `col` of `table` follows from the truth object: the expected value and the
 * way to compare (`time`: unix seconds; `json`: the same JSON value). `undefined` value: the
 * truth object has no field for the column (a problem unless some object of the table has it).
 */
function expected(
  table: TableName,
  col: string,
  t: Obj,
): { value: unknown; kind: 'time' | 'json' | 'scalar' } {
  const type = SILVER_CONTRACTS[table].columns.find((c) => c.name === col)?.type;
  const kind = type === 'TIMESTAMPTZ' ? 'time' : type === 'JSON' ? 'json' : 'scalar';
  const special = SPECIAL[table]?.[col];
  if (special) return { value: special(t), kind };
  if (col === 'dt') return { value: new Date(Number(t.created) * 1000).toISOString().slice(0, 10), kind };
  if (col.endsWith('_ts')) return { value: t[col.slice(0, -3)], kind };
  if (col.endsWith('_id') && !(col in t)) {
    const field = col.slice(0, -3);
    return { value: field in t ? refId(t[field]) : undefined, kind };
  }
  if (col.startsWith('is_') && !(col in t)) return { value: t[col.slice(3)], kind };
  return { value: t[col], kind };
}

/** Canonical JSON (sorted keys), so equal values compare equal as strings. */
function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    x && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x as Obj).sort(([a], [b]) => (a < b ? -1 : 1)))
      : x,
  );
}

/** Whether a Silver value (as DuckDB hands it to JSON) equals the expected one. */
function same(actual: unknown, want: unknown, kind: 'time' | 'json' | 'scalar'): boolean {
  if (want === null || want === undefined || actual === null || actual === undefined)
    return (want ?? null) === (actual ?? null);
  if (kind === 'time') return new Date(String(actual)).getTime() === Number(want) * 1000;
  if (kind === 'json') return canonical(JSON.parse(String(actual))) === canonical(want);
  return String(actual) === String(want);
}

/**
 * Differences between the Silver of a local lake and `/_mock/truth` for every object entity:
 * missing or extra ids, duplicates, wrong deletion state, and any Silver column (every one of the
 * contract's but the load lineage: foreign keys, times, JSON and scalars alike) whose value
 * differs from the one the truth object gives. Empty = Silver equals the truth.
 */
export async function silverVsTruth(root: string, mockUrl: string): Promise<string[]> {
  const out: string[] = [];
  for (const def of OBJECT_ENTITIES) {
    const table = def.name as TableName;
    const columns = SILVER_CONTRACTS[table].columns
      .map((c) => c.name)
      .filter((c) => !LINEAGE.has(c) && c !== 'id' && c !== 'is_deleted');
    const truth = await fetchTruth(mockUrl, def.name);
    const rows = await readLayer(root, 'silver', def.name);
    const byId = new Map(rows.map((r) => [String(r.id), r]));
    if (rows.length !== byId.size) out.push(`${def.name}: ${rows.length - byId.size} duplicate ids`);
    const truthIds = new Set(truth.map((t) => String(t.id)));
    for (const id of byId.keys()) if (!truthIds.has(id)) out.push(`${def.name}: ${id} is not in the truth`);
    // Columns some live truth object has a field for: a column no object has one for is a gap in
    // this comparison (a new column, a renamed field), reported instead of passing unchecked.
    const sourced = new Set<string>();
    let live = 0;
    let inBronze: Set<string> | undefined;
    for (const t of truth) {
      const row = byId.get(String(t.id));
      if (!row) {
        // An object deleted before any run could list it (a year-old coupon deleted long ago) is
        // never served again (lists skip deleted objects): absent is right, unless its id did
        // reach Bronze (then Silver lost it).
        if (t.deleted === true) {
          inBronze ??= await bronzeIds(root, def.name);
          if (!inBronze.has(String(t.id))) continue;
        }
        out.push(`${def.name}: ${t.id} missing from Silver`);
        continue;
      }
      if (row.is_deleted !== (t.deleted === true)) {
        out.push(`${def.name}: ${t.id} is_deleted=${row.is_deleted}, truth deleted=${t.deleted === true}`);
        continue;
      }
      if (t.deleted === true) continue;
      live++;
      for (const col of columns) {
        const { value, kind } = expected(table, col, t);
        if (value !== undefined) sourced.add(col);
        if (!same(row[col], value, kind))
          out.push(`${def.name}: ${t.id}.${col} = ${String(row[col])}, truth ${canonical(value ?? null)}`);
      }
    }
    if (live > 0) {
      for (const col of columns)
        if (!sourced.has(col)) out.push(`${def.name}.${col}: no truth object has a field for it`);
    }
  }
  out.push(...(await childrenVsTruth(root, mockUrl)));
  return out;
}

/** Every `data.id` in a local lake's Bronze of an entity. */
async function bronzeIds(root: string, entity: string): Promise<Set<string>> {
  const dir = join(root, 'bronze/source=stripe', `entity=${entity}`);
  const ids = new Set<string>();
  if (!existsSync(dir)) return ids;
  for (const file of (await readdir(dir, { recursive: true })).filter((f) => f.endsWith('.jsonl')))
    for (const line of (await readFile(join(dir, file), 'utf8')).split('\n'))
      if (line) ids.add(String((JSON.parse(line) as { data: Obj }).data.id));
  return ids;
}

const sum = (xs: unknown): number | null =>
  Array.isArray(xs) ? xs.reduce((a: number, x) => a + Number((x as Obj).amount ?? 0), 0) : null;
const utcDay = (t: unknown) => new Date(Number(t) * 1000).toISOString().slice(0, 10);

/**
 * How each child column follows from the truth child and its parent (the current API shapes
 * and the older ones Silver also reads).
 */
const CHILD_EXPECTED: Record<
  'subscription_items' | 'invoice_line_items',
  Record<string, (t: Obj, parent: Obj) => unknown>
> = {
  subscription_items: {
    subscription_id: (t, p) => first(refId(t.subscription), p.id),
    customer_id: (_t, p) => refId(p.customer),
    price_id: (t) => first(refId(t.price), refId(t.plan)),
    product_id: (t) => first(refId(at(t, 'price', 'product')), refId(at(t, 'plan', 'product'))),
    quantity: (t) => t.quantity,
    current_period_start_ts: (t, p) => first(t.current_period_start, p.current_period_start),
    current_period_end_ts: (t, p) => first(t.current_period_end, p.current_period_end),
    metadata: (t) => t.metadata,
    created_ts: (t) => t.created,
    dt: (t) => utcDay(t.created),
    livemode: (t, p) => first(t.livemode, p.livemode),
  },
  invoice_line_items: {
    invoice_id: (_t, p) => p.id,
    customer_id: (_t, p) => refId(p.customer),
    subscription_id: (t, p) =>
      first(
        at(t, 'parent', 'subscription_item_details', 'subscription'),
        refId(t.subscription),
        refId(p.subscription),
        at(p, 'parent', 'subscription_details', 'subscription'),
      ),
    subscription_item_id: (t) =>
      first(at(t, 'parent', 'subscription_item_details', 'subscription_item'), refId(t.subscription_item)),
    price_id: (t) => first(at(t, 'pricing', 'price_details', 'price'), refId(t.price)),
    product_id: (t) => first(at(t, 'pricing', 'price_details', 'product'), at(t, 'price', 'product')),
    line_type: (t) => {
      const type = at(t, 'parent', 'type');
      return first(
        t.type,
        type === 'subscription_item_details'
          ? 'subscription'
          : type === 'invoice_item_details'
            ? 'invoiceitem'
            : null,
      );
    },
    is_proration: (t) =>
      first(
        t.proration,
        at(t, 'parent', 'subscription_item_details', 'proration'),
        at(t, 'parent', 'invoice_item_details', 'proration'),
      ),
    amount: (t) => t.amount,
    discount_amount: (t) => sum(t.discount_amounts) ?? 0,
    currency: (t) => t.currency,
    quantity: (t) => t.quantity,
    period_start_ts: (t) => at(t, 'period', 'start'),
    period_end_ts: (t) => at(t, 'period', 'end'),
    invoice_status: (_t, p) => p.status,
    description: (t) => t.description,
    created_ts: (_t, p) => p.created,
    dt: (_t, p) => utcDay(p.created),
    livemode: (t, p) => first(t.livemode, p.livemode),
  },
};

/**
 * The child tables against `/_mock/truth/<child>`: the Silver rows that are not deleted are
 * exactly the truth's children (ids, and every contract column but lineage), a deleted item is
 * one the truth no longer lists; payout_balance_transactions equals the truth's pairs, each in
 * its payout's dt.
 */
async function childrenVsTruth(root: string, mockUrl: string): Promise<string[]> {
  const out: string[] = [];
  for (const table of ['subscription_items', 'invoice_line_items'] as const) {
    const parentName = table === 'subscription_items' ? 'subscriptions' : 'invoices';
    const parentField = table === 'subscription_items' ? 'subscription' : 'invoice';
    const parents = new Map((await fetchTruth(mockUrl, parentName)).map((p) => [String(p.id), p]));
    const truth = await fetchTruth(mockUrl, table);
    const rows = await readLayer(root, 'silver', table);
    const byId = new Map(rows.map((r) => [String(r.id), r]));
    if (rows.length !== byId.size) out.push(`${table}: ${rows.length - byId.size} duplicate ids`);
    const truthIds = new Set(truth.map((t) => String(t.id)));
    for (const [id, r] of byId) {
      if (!truthIds.has(id) && r.is_deleted !== true) out.push(`${table}: ${id} is not in the truth`);
      if (truthIds.has(id) && r.is_deleted === true)
        out.push(`${table}: ${id} is_deleted, but the truth lists it`);
    }
    const columns = SILVER_CONTRACTS[table].columns
      .map((c) => c.name)
      .filter((c) => !LINEAGE.has(c) && c !== 'id' && c !== 'is_deleted');
    for (const col of columns)
      if (!(col in CHILD_EXPECTED[table])) out.push(`${table}.${col}: the comparison does not know it`);
    for (const t of truth) {
      const row = byId.get(String(t.id));
      if (!row) {
        out.push(`${table}: ${t.id} missing from Silver`);
        continue;
      }
      const parent = parents.get(String(t[parentField]));
      if (!parent) {
        out.push(`${table}: ${t.id}: its ${parentField} ${String(t[parentField])} is not in the truth`);
        continue;
      }
      for (const col of columns) {
        const fn = CHILD_EXPECTED[table][col];
        if (!fn) continue;
        const type = SILVER_CONTRACTS[table].columns.find((c) => c.name === col)?.type;
        const kind = type === 'TIMESTAMPTZ' ? 'time' : type === 'JSON' ? 'json' : 'scalar';
        const value = fn(t, parent);
        if (!same(row[col], value, kind))
          out.push(`${table}: ${t.id}.${col} = ${String(row[col])}, truth ${canonical(value ?? null)}`);
      }
    }
  }
  const payouts = new Map((await fetchTruth(mockUrl, 'payouts')).map((p) => [String(p.id), p]));
  const pairs = await fetchTruth(mockUrl, 'payout_balance_transactions');
  const rows = await readLayer(root, 'silver', 'payout_balance_transactions');
  const got = new Map(rows.map((r) => [`${r.payout_id}/${r.balance_transaction_id}`, r]));
  if (rows.length !== got.size)
    out.push(`payout_balance_transactions: ${rows.length - got.size} duplicate pairs`);
  const want = new Set(pairs.map((p) => `${p.payout}/${p.balance_transaction}`));
  for (const k of got.keys())
    if (!want.has(k)) out.push(`payout_balance_transactions: ${k} is not in the truth`);
  for (const p of pairs) {
    const k = `${p.payout}/${p.balance_transaction}`;
    const row = got.get(k);
    if (!row) out.push(`payout_balance_transactions: ${k} missing from Silver`);
    else if (String(row.dt) !== utcDay(payouts.get(String(p.payout))?.created))
      out.push(
        `payout_balance_transactions: ${k} dt = ${String(row.dt)}, payout created ${utcDay(payouts.get(String(p.payout))?.created)}`,
      );
  }
  return out;
}
