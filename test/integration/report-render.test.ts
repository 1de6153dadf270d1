import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderReportHtml } from '../../src/report/render-html.js';
import type { ReportInput } from '../../src/report/report-data.js';
import { loadAssets } from '../../src/report/write-report.js';
import { checkPage } from '../helpers/browser.js';

const months = ['2024-01-01', '2024-02-01', '2024-03-01', '2024-04-01'];
const HOSTILE = '</script><script>document.title="pwned"</script><img src=x onerror=alert(1)>';

/** A run with every charted model published (SaaS models included) and a failing check. */
const input: ReportInput = {
  manifest: {
    run_id: 'synthetic',
    command: 'run-all',
    status: 'failed',
    started_at: '2024-04-10T06:00:00.000Z',
    finished_at: '2024-04-10T06:01:30.000Z',
    settings: {},
    source: { kind: 'embedded mock', preset: 'demo', seed: 42 },
    extract: { charges: { pages: 3, records: 250, retries: 0 } },
    references: { fetched: { customers: 7 } },
    timings: { extract: 30, transform: 40, quality: 20 },
    quality: {
      passed: false,
      checks: [
        { name: 'schema.gold.fct_mrr', severity: 'error', passed: true, details: {} },
        {
          name: 'reconcile.payouts',
          severity: 'error',
          passed: false,
          details: {
            unreconciled: 1,
            examples: [{ payout_id: 'po_1', amount: 1000, transactions_net: 990, note: HOSTILE }],
          },
        },
      ],
    },
    published: [],
    error: { step: 'quality', message: 'error-severity checks failed' },
  },
  dataRoot: '/lake',
  generatedAt: '2024-04-10T06:02:00.000Z',
  version: 'test',
  pointers: [],
  daily: [
    {
      date_day: '2024-04-08',
      currency: 'usd',
      sales_amount: 100_00,
      sales_count: 3,
      refunds_amount: 0,
      refunds_count: 0,
      disputes_count: 0,
      failed_charges_count: 0,
      fees_amount: 3_20,
      net_amount: 96_80,
    },
  ],
  mrr: ['usd', 'eur'].flatMap((currency) =>
    months.map((month, i) => ({
      month,
      currency,
      starting_mrr: i * 1000,
      new_mrr: 1000,
      expansion_mrr: 0,
      contraction_mrr: 0,
      churned_mrr: 0,
      reactivation_mrr: 0,
      ending_mrr: (i + 1) * 1000,
      customers_end: i + 1,
    })),
  ),
  payouts: [
    {
      arrival_date: '2024-04-01',
      currency: 'usd',
      paid_amount: 5000,
      payouts: 1,
      failed: 0,
      unreconciled: 0,
    },
    {
      arrival_date: '2024-04-02',
      currency: 'usd',
      paid_amount: 7000,
      payouts: 1,
      failed: 0,
      unreconciled: 1,
    },
  ],
};

describe('run report rendering', () => {
  it('charts MRR and payouts when they are published, leads with the failure, and escapes what it shows', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pp-report-'));
    const file = join(dir, 'report.html');
    await writeFile(file, renderReportHtml(input, await loadAssets()));
    const page = await checkPage(file, join(process.cwd(), '.tmp', 'report-synthetic.png'));
    expect(page.errors).toEqual([]);
    expect(page.requests).toEqual([]);
    const byId = Object.fromEntries(page.charts.map((c) => [c.id, c]));
    expect(Object.keys(byId).sort()).toEqual(['daily-usd', 'mrr-eur', 'mrr-usd', 'payouts-usd']);
    expect(byId['mrr-usd']).toMatchObject({ renderedSeries: 2, renderedPoints: 4, canvases: 1 });
    expect(byId['payouts-usd']).toMatchObject({ renderedSeries: 1, renderedPoints: 2, canvases: 1 });
    expect(page.chartsRendered).toBe(4);
    expect(page.text).not.toMatch(/No (mrr_movements|fct_payouts) has been published/);
    expect(page.text).toContain('embedded mock API (preset demo, seed 42)');
    expect(page.text).toContain('7 more by id');
    // The failed check and its example row come before the passed checks; hostile text is text.
    expect(page.text.indexOf('reconcile.payouts')).toBeLessThan(page.text.indexOf('passed checks'));
    expect(page.text).toContain('po_1');
    expect(page.text).toContain(HOSTILE);
  });
});
