import { readFile } from 'node:fs/promises';
import type { ErrorKind } from '../errors.js';
import { openPublishedLake } from '../query/published-lake.js';
import { readerRows } from '../query/run-query.js';
import { listRunIds, type RunManifestData, readManifest } from '../state/manifest.js';
import { type LatestPointer, readLatest } from '../state/publish.js';
import { layout } from '../storage/layout.js';
import type { ObjectStore } from '../storage/object-store.js';
import { type ChartCache, loadChartCache, planChart, rowsByPart, sortRows, sqlHash } from './chart-cache.js';

export interface DailyRow {
  date_day: string;
  currency: string;
  sales_amount: number;
  sales_count: number;
  refunds_amount: number;
  refunds_count: number;
  disputes_count: number;
  failed_charges_count: number;
  fees_amount: number;
  net_amount: number;
}

export interface MrrRow {
  month: string;
  currency: string;
  starting_mrr: number;
  new_mrr: number;
  expansion_mrr: number;
  contraction_mrr: number;
  churned_mrr: number;
  reactivation_mrr: number;
  ending_mrr: number;
  customers_end: number;
}

export interface PayoutDayRow {
  arrival_date: string;
  currency: string;
  paid_amount: number;
  payouts: number;
  failed: number;
  unreconciled: number;
}

/** Everything a report shows: one run's manifest and the published Gold as readers see it. */
export interface ReportInput {
  manifest: RunManifestData;
  dataRoot: string;
  generatedAt: string;
  version: string;
  /** The `_latest` pointer of each Gold model that has one. */
  pointers: LatestPointer[];
  /** Rows of each chart's model, or null when the model is not published (yet). */
  daily: DailyRow[] | null;
  mrr: MrrRow[] | null;
  payouts: PayoutDayRow[] | null;
}

/**
 * The models the report charts, the SQL that reads each (sql/<file>), where the rows go, and how
 * they are kept between reports (chart-cache.ts): each row is of the partition its
 * `partitionColumn` names, and the rows are ordered by `orderBy` (as the SQL orders them).
 */
const CHARTED = [
  {
    model: 'daily_overview',
    sql: 'daily.sql',
    field: 'daily',
    partitionColumn: 'date_day',
    orderBy: ['currency', 'date_day'],
  },
  {
    model: 'mrr_movements',
    sql: 'mrr.sql',
    field: 'mrr',
    partitionColumn: 'month',
    orderBy: ['currency', 'month'],
  },
  {
    model: 'fct_payouts',
    sql: 'payouts.sql',
    field: 'payouts',
    partitionColumn: 'arrival_date',
    orderBy: ['currency', 'arrival_date'],
  },
] as const;

/** Every Gold model a report may name (those published today and SPEC 8.1's). */
const GOLD_MODELS = [
  'fct_payments',
  'fct_balance_transactions',
  'fct_invoices',
  'daily_overview',
  'dim_customers',
  'fct_mrr',
  'mrr_movements',
  'fct_payouts',
];

/** Thrown when the asked run has no manifest (or no run has happened yet). */
export class NoSuchRunError extends Error {
  override readonly name = 'NoSuchRunError';
  readonly kind: ErrorKind = 'usage';
}

/**
 * Reads what the report of `runId` (default: the newest run) shows: its manifest, and the Gold
 * models through their `_latest` pointers, never the transform's internals. A model without a
 * pointer reads as null, and the report says it is not published.
 */
export async function collectReportInput(
  store: ObjectStore,
  opts: { runId?: string; version: string; now?: Date },
): Promise<ReportInput> {
  const runId = opts.runId ?? (await listRunIds(store))[0];
  if (!runId) throw new NoSuchRunError(`no run manifest under ${store.root}: run run-all first`);
  const manifest = await readManifest(store, runId);
  if (!manifest) throw new NoSuchRunError(`no manifest for run ${runId} under ${store.root}`);
  const pointers = (await Promise.all(GOLD_MODELS.map((m) => readLatest(store, m)))).filter(
    (p): p is LatestPointer => p !== undefined,
  );
  const plans = new Map<string, ChartPlan>(
    await Promise.all(
      CHARTED.map(async (c) => {
        const sql = await readFile(new URL(`./sql/${c.sql}`, import.meta.url), 'utf8');
        const keys = pointers.find((p) => p.model === c.model)?.keys ?? [];
        const [objects, cache] = await Promise.all([
          keys.length > 0 ? store.list(layout.goldModelPrefix(c.model)) : [],
          loadChartCache(store, c.model, sql),
        ]);
        return [c.model, { sql, keys, cache, ...planChart(keys, objects, cache) }] as const;
      }),
    ),
  );
  const out: ReportInput = {
    manifest,
    dataRoot: store.root,
    generatedAt: (opts.now ?? new Date()).toISOString(),
    version: opts.version,
    pointers,
    daily: null,
    mrr: null,
    payouts: null,
  };
  // the partitions no cached rows stand for, each chart's model on its own connection
  const computed = await readCharts(store, plans, (p) => p.read);
  const whole = new Set<string>();
  for (const c of CHARTED) {
    const plan = plans.get(c.model)!;
    const fresh = computed.get(c.model);
    if (plan.keys.length === 0) continue;
    const parts = fresh
      ? rowsByPart(
          fresh.columns,
          fresh.rows,
          c.partitionColumn,
          (dt) => layout.goldPartition(c.model, dt),
          plan.read,
        )
      : new Map<string, unknown[][]>();
    // cached rows stand beside fresh ones only when both have the same columns
    const mixed =
      fresh && plan.cache && plan.reuse.length > 0 && plan.cache.columns.join() !== fresh.columns.join();
    if (!parts || mixed || (!fresh && plan.read.length > 0)) {
      whole.add(c.model);
      continue;
    }
    const columns = fresh?.columns ?? plan.cache?.columns ?? [];
    const rows = [...plan.reuse.flatMap((k) => plan.cache!.parts[k]!.rows), ...[...parts.values()].flat()];
    (out as unknown as Record<string, unknown>)[c.field] = toObjects(
      columns,
      sortRows(columns, rows, c.orderBy),
    );
    const kept: Record<string, { fp: string; rows: readonly unknown[][] }> = {};
    for (const k of plan.reuse) kept[k] = plan.cache!.parts[k]!;
    for (const [k, r] of parts) {
      const fp = plan.fps.get(k);
      if (fp !== undefined) kept[k] = { fp, rows: r };
    }
    const record: ChartCache = { version: 1, sql: sqlHash(plan.sql), columns, parts: kept };
    // a cache is an optimisation: a store that refuses it costs the next report a full read
    await store.put(layout.reportChartCache(c.model), JSON.stringify(record)).catch(() => {});
  }
  // a chart whose rows do not each name a partition read: computed whole, and not kept
  if (whole.size > 0) {
    const all = await readCharts(store, plans, (p, model) => (whole.has(model) ? p.keys : []));
    for (const c of CHARTED) {
      const r = all.get(c.model);
      if (r) (out as unknown as Record<string, unknown>)[c.field] = toObjects(r.columns, r.rows);
    }
  }
  return out;
}

interface ChartPlan extends ReturnType<typeof planChart> {
  readonly sql: string;
  readonly keys: readonly string[];
  readonly cache: ChartCache | undefined;
}

/**
 * Runs each chart's SQL (its plan's) over the published objects `keysOf` names of its model (a
 * model with none: not run).
 */
async function readCharts(
  store: ObjectStore,
  plans: ReadonlyMap<string, ChartPlan>,
  keysOf: (plan: ChartPlan, model: string) => readonly string[],
): Promise<Map<string, { columns: string[]; rows: unknown[][] }>> {
  const out = new Map<string, { columns: string[]; rows: unknown[][] }>();
  const keysOfModel = (model: string) => {
    const plan = plans.get(model);
    return plan ? keysOf(plan, model) : [];
  };
  if (CHARTED.every((c) => keysOfModel(c.model).length === 0)) return out;
  const lake = await openPublishedLake(store, {
    layers: ['gold'],
    only: (t) => CHARTED.some((c) => c.model === t.name),
    keysOf: (t) => keysOfModel(t.name),
    // each chart's model on its own connection: every read opens one file per day
    connections: CHARTED.length,
  });
  try {
    const present = new Set(lake.tables.map((t) => t.name));
    await Promise.all(
      CHARTED.map(async (c, i) => {
        if (!present.has(c.model)) return;
        const r = readerRows(await lake.conns[i]!.runAndReadAll(plans.get(c.model)!.sql));
        out.set(c.model, { columns: r.columns, rows: r.rows as unknown[][] });
      }),
    );
  } finally {
    await lake.close();
  }
  return out;
}

const toObjects = (columns: readonly string[], rows: readonly unknown[][]) =>
  rows.map((row) => Object.fromEntries(columns.map((col, j) => [col, row[j]])));
