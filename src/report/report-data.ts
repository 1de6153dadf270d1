import { readFile } from 'node:fs/promises';
import type { ErrorKind } from '../errors.js';
import { openPublishedLake } from '../query/published-lake.js';
import { readerRows } from '../query/run-query.js';
import { listRunIds, type RunManifestData, readManifest } from '../state/manifest.js';
import { type LatestPointer, readLatest } from '../state/publish.js';
import type { ObjectStore } from '../storage/object-store.js';

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

/** The models the report charts, the SQL that reads each (sql/<file>), and where the rows go. */
const CHARTED = [
  { model: 'daily_overview', sql: 'daily.sql', field: 'daily' },
  { model: 'mrr_movements', sql: 'mrr.sql', field: 'mrr' },
  { model: 'fct_payouts', sql: 'payouts.sql', field: 'payouts' },
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
  const charted = new Set<string>(CHARTED.map((c) => c.model));
  const lake = await openPublishedLake(store, {
    layers: ['gold'],
    only: (t) => charted.has(t.name),
    // each chart's model on its own connection: every read opens one file per day
    connections: CHARTED.length,
  });
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
  try {
    const present = new Set(lake.tables.map((t) => t.name));
    await Promise.all(
      CHARTED.map(async (c, i) => {
        if (!present.has(c.model)) return;
        const sql = await readFile(new URL(`./sql/${c.sql}`, import.meta.url), 'utf8');
        const r = readerRows(await lake.conns[i]!.runAndReadAll(sql));
        const rows = r.rows.map((row) => Object.fromEntries(r.columns.map((col, j) => [col, row[j]])));
        (out as unknown as Record<string, unknown>)[c.field] = rows;
      }),
    );
  } finally {
    await lake.close();
  }
  return out;
}
