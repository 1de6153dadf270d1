/**
 * The naive peer (SPEC section 14): what a user would otherwise write — the official `stripe`
 * client's `autoPagingEach` over each entity's window, one entity after the other, each object
 * appended to a JSONL file.
 */
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import Stripe from 'stripe';
import { CHILD_TABLES } from '../../src/contracts/silver.js';
import type { TimeWindow } from '../../src/extract/windows.js';
import type { FetchResult } from './extract-floor.js';

type Lister = (params: Record<string, unknown>) => Stripe.ApiListPromise<{ id: string }>;

/** The list method of the client for each entity of the registry. */
function listers(stripe: Stripe): Record<string, Lister> {
  const l =
    <T extends { id: string }>(resource: { list(p: never): Stripe.ApiListPromise<T> }): Lister =>
    (p) =>
      resource.list(p as never);
  return {
    customers: l(stripe.customers),
    payment_intents: l(stripe.paymentIntents),
    charges: l(stripe.charges),
    refunds: l(stripe.refunds),
    invoices: l(stripe.invoices),
    subscriptions: (p) => stripe.subscriptions.list({ ...p, status: 'all' }),
    balance_transactions: l(stripe.balanceTransactions),
    disputes: l(stripe.disputes),
    products: l(stripe.products),
    prices: l(stripe.prices),
    coupons: l(stripe.coupons),
    payouts: l(stripe.payouts),
    events: l(stripe.events),
  };
}

/** Fetches every entity of `windows` with `autoPagingEach` into `<outDir>/<entity>.jsonl`. */
export async function stripePeer(
  port: number,
  apiKey: string,
  windows: ReadonlyMap<string, TimeWindow>,
  outDir: string,
): Promise<Omit<FetchResult, 'pages'>> {
  await mkdir(outDir, { recursive: true });
  const stripe = new Stripe(apiKey, { host: '127.0.0.1', port, protocol: 'http' });
  const list = listers(stripe);
  let records = 0;
  const t0 = performance.now();
  for (const [entity, w] of windows) {
    // child collections have no created window: read through their parents, as the floor leaves them
    if ((CHILD_TABLES as readonly string[]).includes(entity)) continue;
    const lister = list[entity];
    if (!lister) throw new Error(`peer: no stripe client method for ${entity}`);
    const out = createWriteStream(join(outDir, `${entity}.jsonl`));
    await lister({ limit: 100, created: { gte: w.gte, lt: w.lt } }).autoPagingEach(async (obj) => {
      records++;
      if (!out.write(`${JSON.stringify(obj)}\n`))
        await new Promise<void>((r) => out.once('drain', () => r()));
    });
    await new Promise<void>((r, j) => out.end((e?: Error | null) => (e ? j(e) : r())));
  }
  return { seconds: (performance.now() - t0) / 1000, records };
}
