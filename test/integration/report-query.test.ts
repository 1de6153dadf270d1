import { existsSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectStatus, statusProblems } from '../../src/cli/commands/status.js';
import { startMockApi } from '../../src/mock/index.js';
import { formatResult } from '../../src/query/format.js';
import { openPublishedLake, tablesNamedIn } from '../../src/query/published-lake.js';
import { ReadOnlyQueryError, runReadOnlyQuery } from '../../src/query/run-query.js';
import { LocalObjectStore } from '../../src/storage/local-store.js';
import { checkPage } from '../helpers/browser.js';
import { runCli } from '../helpers/cli.js';
import { readLayer } from '../helpers/lake.js';
import { parseLogLines } from '../helpers/strict-json.js';
import { s3TestStore } from '../s3-env.js';

const NOW = Date.UTC(2024, 5, 15, 12, 0, 0) / 1000;
const SHOTS = join(process.cwd(), '.tmp');
type Mock = Awaited<ReturnType<typeof startMockApi>>;

/**
 * One lake, two runs: a good one (report, query, the run summary line, status --check), then one
 * whose quality fails (FRESHNESS_SEVERITY=error over the mock's frozen 2024 clock), whose report
 * must lead with the failure and still chart the Gold the good run published.
 */
describe('looking at the data: report, query, operator output', () => {
  let mock: Mock;
  let root: string;
  let good: Awaited<ReturnType<typeof runCli>>;
  beforeAll(async () => {
    mock = await startMockApi({ preset: 'tiny', now: NOW, port: 0, quiet: true });
    root = await mkdtemp(join(tmpdir(), 'pp-look-'));
    good = await runCli(['run-all', '--run-id', 'look-good', '--until', String(NOW)], { env: env() });
  }, 120_000);
  afterAll(async () => {
    await mock?.close();
  });
  const env = (extra: Record<string, string> = {}) => ({
    API_BASE_URL: mock.url,
    API_KEY: 'sk_test_look',
    LOCAL_DATA_DIR: root,
    LOG_LEVEL: 'info',
    ...extra,
  });

  it('logs JSON lines that never repeat a key, ending with the run summary; the manifest names its source', async () => {
    expect(good.code, good.stderr).toBe(0);
    const lines = parseLogLines(good.stderr);
    expect(lines.length).toBeGreaterThan(10);
    const last = lines.at(-1)!;
    expect(last.msg).toBe('run summary');
    const manifest = JSON.parse(await readFile(join(root, '_state/manifests/run_look-good.json'), 'utf8'));
    expect(manifest.source).toEqual({ kind: 'api', url: `${mock.url}/` });
    const entities = last.entities as Record<string, { records: number; pages: number; by_id: number }>;
    for (const [name, e] of Object.entries(
      manifest.extract as Record<string, { records: number; pages: number }>,
    ))
      expect([name, entities[name]?.records, entities[name]?.pages]).toEqual([name, e.records, e.pages]);
    expect(last.status).toBe('succeeded');
    expect(last.published).toEqual(manifest.published.map((p: { model: string }) => p.model));
    expect(last.checks).toMatchObject({ total: manifest.quality.checks.length, failed: [] });
    expect(Object.keys(last.stage_seconds as object)).toEqual(expect.arrayContaining(['extract', 'quality']));
    expect(last.peak_rss_mib).toBeGreaterThan(0);
    expect((last.models as Record<string, { rows: number }>)['gold.daily_overview']?.rows).toBeGreaterThan(0);
  });

  it('writes a self-contained report whose every chart drew the published days', async () => {
    const file = join(root, '_state/reports/latest.html');
    expect(await readFile(file, 'utf8')).toBe(
      await readFile(join(root, '_state/reports/run_look-good.html'), 'utf8'),
    );
    const page = await checkPage(file, join(SHOTS, 'report-succeeded.png'));
    expect(page.errors).toEqual([]);
    expect(page.requests).toEqual([]);
    // What the charts must show, read from the published Parquet independently of the report.
    const daily = await readLayer(root, 'gold', 'daily_overview', 'currency, cast(date_day as varchar) as d');
    const days = [...new Set(daily.map((r) => String(r.d)))].sort();
    const span = (Date.parse(days.at(-1)!) - Date.parse(days[0]!)) / 86_400_000 + 1;
    const currencies = [...new Set(daily.map((r) => String(r.currency)))].sort();
    // the SaaS charts: one per currency of the published MRR movements and payouts
    const mrr = await readLayer(root, 'gold', 'mrr_movements', 'currency, cast(month as varchar) as m');
    const mrrCurrencies = [...new Set(mrr.map((r) => String(r.currency)))].sort();
    const payouts = await readLayer(
      root,
      'gold',
      'fct_payouts',
      'currency, cast(arrival_date as varchar) as d',
    );
    const payoutCurrencies = [...new Set(payouts.map((r) => String(r.currency)))].sort();
    expect(mrrCurrencies.length, 'the test lake has MRR').toBeGreaterThan(0);
    expect(payoutCurrencies.length, 'the test lake has payouts').toBeGreaterThan(0);
    expect(page.charts.map((c) => c.id).sort()).toEqual(
      [
        ...currencies.map((c) => `daily-${c}`),
        ...mrrCurrencies.map((c) => `mrr-${c}`),
        ...payoutCurrencies.map((c) => `payouts-${c}`),
      ].sort(),
    );
    expect(page.chartsRendered).toBe(page.charts.length);
    for (const c of page.charts) {
      if (c.id.startsWith('daily-'))
        expect(c, c.id).toMatchObject({ renderedSeries: 4, renderedPoints: span, canvases: 1 });
      else if (c.id.startsWith('mrr-')) {
        const months = new Set(mrr.filter((r) => `mrr-${r.currency}` === c.id).map((r) => r.m)).size;
        expect(c, c.id).toMatchObject({ renderedSeries: 2, renderedPoints: months, canvases: 1 });
      } else {
        const days = new Set(payouts.filter((r) => `payouts-${r.currency}` === c.id).map((r) => r.d)).size;
        expect(c, c.id).toMatchObject({ renderedSeries: 1, renderedPoints: days, canvases: 1 });
      }
    }
    expect(page.text).not.toContain('No mrr_movements has been published yet');
    expect(page.text).not.toContain('No fct_payouts has been published yet');
    expect(page.text).toContain('look-good');
  });

  it('query: a view per Silver entity and Gold model, csv/json/table, and nothing that writes', async () => {
    const json = await runCli(
      [
        'query',
        'select currency, sum(sales_amount) as sales from daily_overview group by currency order by currency',
        '--format',
        'json',
      ],
      { env: env() },
    );
    expect(json.code, json.stderr).toBe(0);
    const gold = await readLayer(root, 'gold', 'daily_overview', 'currency, sales_amount');
    const expected = new Map<string, number>();
    for (const r of gold)
      expected.set(String(r.currency), (expected.get(String(r.currency)) ?? 0) + Number(r.sales_amount));
    expect(JSON.parse(json.stdout)).toEqual(
      [...expected].sort(([a], [b]) => a.localeCompare(b)).map(([currency, sales]) => ({ currency, sales })),
    );

    // Silver as published; stdout is not a terminal, so csv is the default.
    const csv = await runCli(['query', 'select count(*) as n from charges'], { env: env() });
    expect(csv.code, csv.stderr).toBe(0);
    expect(csv.stdout).toBe(`n\r\n${(await readLayer(root, 'silver', 'charges', 'id')).length}\r\n`);

    // The rest in process (each CLI start costs seconds): table output, and what is refused.
    const lake = await openPublishedLake(new LocalObjectStore(root));
    try {
      expect(lake.tables.map((t) => t.name)).toEqual(expect.arrayContaining(['charges', 'daily_overview']));
      const r = await runReadOnlyQuery(lake, 'select count(*) as n from dim_customers');
      expect(formatResult(r, 'table')).toContain('(1 row)');
      for (const sql of ['create table x as select 1', 'set threads = 1', "attach '/tmp/pp-look.db'"])
        await expect(runReadOnlyQuery(lake, sql), sql).rejects.toThrow(ReadOnlyQueryError);
      // Files outside the lake are neither written nor read.
      await expect(runReadOnlyQuery(lake, "copy (select 1) to '/tmp/pp-look.csv'")).rejects.toThrow(
        /Permission|read-only/,
      );
      expect(existsSync('/tmp/pp-look.csv')).toBe(false);
      await expect(runReadOnlyQuery(lake, "select * from read_csv('/etc/passwd')")).rejects.toThrow(
        /Permission/,
      );
    } finally {
      await lake.close();
    }
    // On S3 the same views, from objects downloaded for the tables the SQL names only.
    const local = new LocalObjectStore(root);
    const s3Store = s3TestStore('query');
    for (const prefix of ['silver/', 'gold/', '_state/manifests/_latest/'])
      for (const o of await local.list(prefix)) await s3Store.put(o.key, (await local.get(o.key))!);
    const sql = 'select count(*) as n, sum(amount) as amount from fct_payments';
    const onS3 = await openPublishedLake(s3Store, { only: tablesNamedIn(sql) });
    const onDisk = await openPublishedLake(local, { only: tablesNamedIn(sql) });
    try {
      expect(onS3.tables.map((t) => t.name)).toEqual(['fct_payments']);
      expect((await runReadOnlyQuery(onS3, sql)).rows).toEqual((await runReadOnlyQuery(onDisk, sql)).rows);
    } finally {
      await onS3.close();
      await onDisk.close();
    }

    const refused = await runCli(['query', 'drop view charges'], { env: env() });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('read-only');
  });

  it('a run whose quality fails: exit 1, a report that leads with the failure, status --check exits 1', async () => {
    const before = await collectStatus(new LocalObjectStore(root));
    expect(statusProblems(before, 1_000_000)).toEqual([]);
    expect(statusProblems(before, 26)).toContain(
      `daily_overview is stale: newest data ${before.latest.daily_overview?.age_hours} h old (FRESHNESS_MAX_HOURS=26)`,
    );

    const bad = await runCli(['run-all', '--run-id', 'look-bad', '--until', String(NOW)], {
      env: env({ FRESHNESS_SEVERITY: 'error' }),
    });
    expect(bad.code, bad.stderr).toBe(1);
    const last = parseLogLines(bad.stderr).at(-1)!;
    expect(last).toMatchObject({ msg: 'run summary', status: 'failed', published: [] });
    const failed = (last.checks as { failed: string[] }).failed;
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.every((n) => n.startsWith('freshness.'))).toBe(true);

    const page = await checkPage(join(root, '_state/reports/latest.html'), join(SHOTS, 'report-failed.png'));
    expect(page.errors).toEqual([]);
    expect(page.requests).toEqual([]);
    expect(page.charts.length).toBeGreaterThan(0);
    for (const c of page.charts) expect(c.renderedPoints, c.id).toBe(c.expectedPoints);
    const text = page.text;
    expect(text).toContain('This run failed in quality');
    expect(text).toContain('as published by run look-good');
    // Failures come before the passed checks, with their details (the stale day and threshold).
    expect(text.indexOf(failed[0]!)).toBeGreaterThan(-1);
    expect(text.indexOf(failed[0]!)).toBeLessThan(text.indexOf('passed checks'));
    expect(text).toContain('max_hours');

    const check = await runCli(['status', '--check', '--json'], {
      env: env({ FRESHNESS_MAX_HOURS: '1000000' }),
    });
    expect(check.code).toBe(1);
    expect(JSON.parse(check.stdout).problems[0]).toContain('look-bad failed');

    // The good run's report on demand, to a file.
    const out = join(root, 'good.html');
    const report = await runCli(['report', '--run-id', 'look-good', '--out', out], { env: env() });
    expect(report.code, report.stderr).toBe(0);
    expect(await readFile(out, 'utf8')).toContain('data-status="succeeded"');
  });
});
