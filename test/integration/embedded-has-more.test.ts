import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockApi } from '../../src/mock/index.js';
import { layout } from '../../src/storage/layout.js';
import { LocalObjectStore } from '../../src/storage/local-store.js';
import { runCli } from '../helpers/cli.js';
import { fetchTruth } from '../helpers/mock-control.js';
import { checkNamed, qualityOf } from '../helpers/quality.js';
import { CHANGES_DEFAULT_DAYS, CHANGES_NOW, CHANGES_WORLD, silverVsTruth } from '../helpers/truth-compare.js';

type EmbeddedList = { data: unknown[]; has_more: boolean; total_count: number };

/**
 * `has_more` for real (SPEC 4.1): a mock that embeds one child per parent (Stripe embeds 10), so
 * every subscription of two or more items and every invoice of two or more lines pages the rest
 * through `/v1/subscription_items?subscription=` and `/v1/invoices/:id/lines`; after a first
 * load, both child tables in Silver equal the truth.
 */
describe('embedded lists with more (the mock embedding 1 child)', () => {
  let mock: Awaited<ReturnType<typeof startMockApi>>;
  let root: string;
  beforeAll(async () => {
    mock = await startMockApi({
      ...CHANGES_WORLD,
      embeddedListLimit: 1,
      now: CHANGES_NOW,
      port: 0,
      quiet: true,
    });
    root = await mkdtemp(join(tmpdir(), 'pp-has-more-'));
  });
  afterAll(async () => {
    await mock?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('reads the rest of items and lines by parent, and Silver equals the truth', async () => {
    const partial = async (entity: 'subscriptions' | 'invoices', field: 'items' | 'lines') => {
      const lists = (await fetchTruth(mock.url, entity)).map((o) => o[field] as EmbeddedList);
      for (const l of lists) expect(l.data.length).toBe(Math.min(1, l.total_count));
      return lists.filter((l) => l.has_more);
    };
    const subs = await partial('subscriptions', 'items');
    const invoices = await partial('invoices', 'lines');
    expect(subs.length, 'subscriptions embedding only part of their items').toBeGreaterThan(2);
    expect(invoices.length, 'invoices embedding only part of their lines').toBeGreaterThan(2);

    const r = await runCli(['run-all', '--run-id', 'has-more-1', '--until', String(CHANGES_NOW)], {
      env: {
        API_BASE_URL: mock.url,
        API_KEY: 'sk_test_has_more',
        LOCAL_DATA_DIR: root,
        DEFAULT_DAYS: String(CHANGES_DEFAULT_DAYS),
        LOG_LEVEL: 'warn',
      },
    });
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    const manifest = JSON.parse(await readFile(join(root, '_state/manifests/run_has-more-1.json'), 'utf8'));
    const extract = manifest.extract as Record<string, { pages: number; records: number }>;
    // one read (at least a page) per partial parent, each reading the whole list
    const total = (ls: EmbeddedList[]) => ls.reduce((n, l) => n + l.total_count, 0);
    expect(extract.subscription_items?.pages).toBeGreaterThanOrEqual(subs.length);
    expect(extract.subscription_items?.records).toBeGreaterThanOrEqual(total(subs));
    expect(extract.invoice_line_items?.pages).toBeGreaterThanOrEqual(invoices.length);
    expect(extract.invoice_line_items?.records).toBeGreaterThanOrEqual(total(invoices));
    expect(manifest.quality.passed).toBe(true);
    expect(await silverVsTruth(root, mock.url)).toEqual([]);
  }, 180_000);

  // after the run above: the pages it fetched
  it("checks the fetched children from the pages' sidecars, which must be of the page's size", async () => {
    const store = new LocalObjectStore(root);
    const name = 'reconcile.bronze_silver.invoice_line_items';
    const pages = (await store.list(layout.bronzeEntityPrefix('invoice_line_items'))).filter((o) =>
      o.key.endsWith('.jsonl'),
    );
    expect(pages.length).toBeGreaterThan(0);
    const all = async () => checkNamed(await qualityOf(store, CHANGES_NOW, { scope: 'all' }), name);
    const vouched = await all();
    expect(vouched).toMatchObject({
      passed: true,
      details: { pages_from_sidecars: pages.length, pages_read: 0 },
    });

    // each sidecar line names the child and the parent version as the page's line does
    const page = pages[0]!;
    const sidecar = Buffer.from((await store.get(layout.bronzeIds(page.key)))!).toString('utf8');
    const lines = Buffer.from((await store.get(page.key))!)
      .toString('utf8')
      .trim()
      .split('\n');
    const [head, ...ids] = sidecar
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(head).toEqual({ part_bytes: page.size, lines: lines.length });
    expect(ids).toEqual(
      lines.map((l) => {
        const { data, meta } = JSON.parse(l);
        return { id: data.id, parent: meta.parent };
      }),
    );

    // the children come from the sidecar: one naming a ghost instead of a line fails the check
    const ghost = sidecar.replace(`"id":${JSON.stringify(ids[0].id)}`, '"id":"il_ghost"');
    await store.put(layout.bronzeIds(page.key), ghost);
    const lied = await all();
    expect(lied.passed).toBe(false);
    // ...named with the page that lists it (the examples' second pass, with the Bronze keys)
    expect(lied.details.missing_from_silver).toMatchObject({
      examples: [{ key: 'il_ghost', bronze_key: page.key }],
    });

    // a sidecar of another size is not trusted: that page is parsed, and the check passes
    await store.put(
      layout.bronzeIds(page.key),
      ghost.replace(`"part_bytes":${page.size}`, `"part_bytes":${page.size + 1}`),
    );
    expect(await all()).toMatchObject({
      passed: true,
      details: { pages_from_sidecars: pages.length - 1, pages_read: 1 },
    });
  }, 120_000);
});
