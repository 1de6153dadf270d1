import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startMockApi } from '../../src/mock/index.js';
import { runCli } from '../helpers/cli.js';
import { readLayer } from '../helpers/lake.js';
import { truthById } from '../helpers/mock-control.js';

// A catalogue older than the first window: prices are added to a product up to 30 days after it,
// so a first load of the last 5 days lists prices whose product (and its default price, created
// with the product) no window covered. The references pass retrieves them by id, round after
// round (price -> product -> the product's default price), because the Silver contracts declare
// the foreign keys prices.product_id -> products and products.default_price_id -> prices.
const NOW = Date.parse('2026-03-15T12:00:00Z') / 1000;

type Obj = Record<string, unknown>;

describe('references pass: the catalogue behind the window', () => {
  let mock: Awaited<ReturnType<typeof startMockApi>> | undefined;
  afterAll(async () => {
    await mock?.close();
  });

  it('retrieves the products of listed prices, and their default prices, so every reference resolves', async () => {
    mock = await startMockApi({ preset: 'tiny', days: 60, seed: 5, now: NOW, port: 0, quiet: true });
    const root = await mkdtemp(join(tmpdir(), 'pp-refs-catalogue-'));
    const r = await runCli(['run-all', '--run-id', 'cat-1', '--until', String(NOW), '--days', '5'], {
      env: { API_BASE_URL: mock.url, API_KEY: 'sk_test_refs', LOCAL_DATA_DIR: root, LOG_LEVEL: 'warn' },
    });
    expect(r.code, r.stderr).toBe(0);
    const manifest = JSON.parse(await readFile(join(root, '_state/manifests/run_cat-1.json'), 'utf8')) as {
      quality: { passed: boolean; checks?: unknown };
      references?: { fetched: Record<string, number>; not_found: string[] };
    };
    expect(manifest.quality.passed).toBe(true);
    expect(manifest.references?.not_found).toEqual([]);
    expect(manifest.references?.fetched.products ?? 0, 'products older than the window').toBeGreaterThan(0);
    expect(manifest.references?.fetched.prices ?? 0, 'default prices of those products').toBeGreaterThan(0);

    const [products, prices] = [await truthById(mock.url, 'products'), await truthById(mock.url, 'prices')];
    const silverProducts = new Map(
      (await readLayer(root, 'silver', 'products')).map((p) => [String(p.id), p]),
    );
    const silverPrices = new Map((await readLayer(root, 'silver', 'prices')).map((p) => [String(p.id), p]));
    const since = NOW - 5 * 86_400;
    // the situation the pass exists for occurs: listed prices whose product predates the window
    const older = [...silverPrices.values()].filter(
      (p) => Number(products.get(String(p.product_id))?.created ?? Number.POSITIVE_INFINITY) < since,
    );
    expect(older.length).toBeGreaterThan(0);
    for (const p of silverPrices.values()) {
      const product = silverProducts.get(String(p.product_id));
      expect(product, `product of ${p.id}`).toBeDefined();
      const t = products.get(String(p.product_id)) as Obj;
      expect(product!.is_deleted).toBe(t.deleted === true);
      if (t.deleted !== true) expect([product!.name, product!.active]).toEqual([t.name, t.active]);
    }
    for (const p of silverProducts.values()) {
      if (p.default_price_id == null) continue;
      const price = silverPrices.get(String(p.default_price_id));
      expect(price, `default price of ${p.id}`).toBeDefined();
      const t = prices.get(String(p.default_price_id)) as Obj;
      expect([Number(price!.unit_amount), price!.currency]).toEqual([t.unit_amount, t.currency]);
    }
  }, 120_000);
});
