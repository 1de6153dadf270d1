import { type ChartSpec, dailyCharts, mrrCharts, payoutCharts, toMajor } from './chart-specs.js';
import type { DailyRow, ReportInput } from './report-data.js';

/** What the page inlines: uPlot's script and styles and the script that draws the charts. */
export interface ReportAssets {
  readonly uplotJs: string;
  readonly uplotCss: string;
  readonly chartsJs: string;
}

interface Check {
  name: string;
  severity: string;
  passed: boolean;
  details?: Record<string, unknown>;
  seconds?: number;
}

const esc = (v: unknown): string => String(v).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
/** JSON inside a <script> element: `<` escaped so no string can close the element. */
const scriptJson = (v: unknown) => JSON.stringify(v).replace(/</g, '\\u003c');
/** Inlined script/style text must not contain its own closing tag. */
const inline = (text: string, tag: 'script' | 'style') =>
  text.replace(new RegExp(`</${tag}`, 'gi'), `<\\/${tag}`);

const int = new Intl.NumberFormat('en-US');
const num = (n: unknown) => (typeof n === 'number' ? int.format(n) : esc(n ?? '–'));
const seconds = (s: number) => (s >= 90 ? `${(s / 60).toFixed(1)} min` : `${s.toFixed(s < 10 ? 2 : 1)} s`);
const money = (currency: string, minor: number) =>
  new Intl.NumberFormat('en-US', { style: 'currency', currency: currency.toUpperCase() }).format(
    toMajor(currency, minor),
  );
const isoShort = (iso: string | undefined) => (iso ? `${iso.slice(0, 16).replace('T', ' ')} UTC` : '–');

/** A message as a sentence: its own full stop, so that the next one reads apart. */
const sentence = (s: string) => (s === '' || /[.!?]$/.test(s) ? s : `${s}.`);

const asRecord = (v: unknown): Record<string, unknown> =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

/** Where the run read from, as its manifest says (older manifests do not say). */
function sourceLabel(m: ReportInput['manifest']): string {
  const s = asRecord(m.source);
  if (s.kind === 'embedded mock')
    return `embedded mock API (preset ${s.preset ?? 'custom'}, seed ${s.seed ?? '?'})`;
  if (typeof s.url === 'string') return s.url;
  return 'not recorded';
}

/** A check detail as HTML: lists of objects become small tables, nested objects nested lists. */
function renderValue(v: unknown, depth = 0): string {
  if (v === null || v === undefined) return '<span class="muted">–</span>';
  if (Array.isArray(v)) {
    if (v.length === 0) return '<span class="muted">none</span>';
    if (v.every((x) => x && typeof x === 'object' && !Array.isArray(x))) {
      const rows = v.slice(0, 10) as Record<string, unknown>[];
      const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))];
      const body = rows
        .map((r) => `<tr>${cols.map((c) => `<td>${cellText(r[c])}</td>`).join('')}</tr>`)
        .join('');
      const more =
        v.length > rows.length ? `<div class="muted">… and ${v.length - rows.length} more</div>` : '';
      return `<table class="examples"><thead><tr>${cols.map((c) => `<th>${esc(c)}</th>`).join('')}</tr></thead><tbody>${body}</tbody></table>${more}`;
    }
    const shown = v
      .slice(0, 20)
      .map((x) => `<code>${esc(typeof x === 'string' ? x : JSON.stringify(x))}</code>`);
    return (
      shown.join(', ') + (v.length > 20 ? ` <span class="muted">… and ${v.length - 20} more</span>` : '')
    );
  }
  if (typeof v === 'object') {
    if (depth >= 2) return `<code>${esc(JSON.stringify(v))}</code>`;
    return `<dl>${Object.entries(v as Record<string, unknown>)
      .map(([k, x]) => `<dt>${esc(k)}</dt><dd>${renderValue(x, depth + 1)}</dd>`)
      .join('')}</dl>`;
  }
  return `<code>${esc(v)}</code>`;
}

function cellText(v: unknown): string {
  if (v === null || v === undefined) return '';
  return esc(typeof v === 'object' ? JSON.stringify(v) : v);
}

function checkCard(c: Check): string {
  const cls = c.passed ? 'pass' : c.severity === 'error' ? 'fail' : 'warn';
  const label = c.passed ? 'passed' : c.severity === 'error' ? 'FAILED' : 'warning';
  const details = Object.entries(c.details ?? {});
  return `<div class="check ${cls}" data-check="${esc(c.name)}">
  <div class="check-head"><span class="pill ${cls}">${label}</span><code class="check-name">${esc(c.name)}</code><span class="muted">${esc(c.severity)}${c.seconds !== undefined ? ` · ${seconds(c.seconds)}` : ''}</span></div>
  ${details.length > 0 ? `<dl class="details">${details.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${renderValue(v)}</dd>`).join('')}</dl>` : ''}
</div>`;
}

function qualitySection(quality: { passed?: boolean; checks?: Check[] } | undefined): string {
  if (!quality?.checks) return '<p class="muted">No quality checks ran in this run.</p>';
  const checks = quality.checks;
  const failed = checks.filter((c) => !c.passed && c.severity === 'error');
  const warned = checks.filter((c) => !c.passed && c.severity !== 'error');
  const passed = checks.filter((c) => c.passed);
  const families = new Map<string, number>();
  for (const c of passed) {
    const family = c.name.split('.')[0] ?? c.name;
    families.set(family, (families.get(family) ?? 0) + 1);
  }
  return `<p class="lead">${passed.length} of ${checks.length} checks passed${failed.length ? `, <b class="bad">${failed.length} failed</b>` : ''}${warned.length ? `, <b class="warn-text">${warned.length} warning${warned.length > 1 ? 's' : ''}</b>` : ''}.</p>
${[...failed, ...warned].map(checkCard).join('\n')}
<details class="passed-checks"><summary>${passed.length} passed checks (${[...families].map(([f, n]) => `${esc(f)} ${n}`).join(', ')})</summary>
<ul class="passed-list">${passed.map((c) => `<li><code>${esc(c.name)}</code></li>`).join('')}</ul></details>`;
}

function stagesSection(timings: Record<string, number>, total: number): string {
  const entries = Object.entries(timings).filter(([, s]) => typeof s === 'number');
  if (entries.length === 0) return '<p class="muted">No stage timings recorded.</p>';
  const sum = entries.reduce((s, [, v]) => s + v, 0) || 1;
  const colors = ['#2563eb', '#7c3aed', '#0891b2', '#059669', '#d97706', '#64748b'];
  const bar = entries
    .map(
      ([name, s], i) =>
        `<span class="seg" style="width:${((s / sum) * 100).toFixed(2)}%;background:${colors[i % colors.length]}" title="${esc(name)}: ${seconds(s)}"></span>`,
    )
    .join('');
  const rows = entries
    .map(
      ([name, s], i) =>
        `<tr><td><span class="dot" style="background:${colors[i % colors.length]}"></span>${esc(name)}</td><td class="num">${seconds(s)}</td><td class="num">${((s / sum) * 100).toFixed(0)}%</td></tr>`,
    )
    .join('');
  return `<div class="stackbar">${bar}</div>
<table class="data"><thead><tr><th>stage</th><th class="num">time</th><th class="num">share</th></tr></thead><tbody>${rows}
<tr class="total"><td>whole run</td><td class="num">${seconds(total)}</td><td></td></tr></tbody></table>`;
}

function extractSection(extract: Record<string, unknown> | undefined, byId: Record<string, number>): string {
  const entities = Object.entries(extract ?? {}).map(([name, v]) => {
    const e = asRecord(v);
    return {
      name,
      records: Number(e.records ?? 0),
      pages: Number(e.pages ?? 0),
      retries: Number(e.retries ?? 0),
      byId: byId[name] ?? 0,
    };
  });
  for (const [name, n] of Object.entries(byId))
    if (!entities.some((e) => e.name === name))
      entities.push({ name, records: 0, pages: 0, retries: 0, byId: n });
  if (entities.length === 0) return '<p class="muted">This run extracted nothing.</p>';
  const max = Math.max(1, ...entities.map((e) => e.records + e.byId));
  const rows = entities
    .map(
      (e) =>
        `<tr><td>${esc(e.name)}</td><td class="barcell"><span class="hbar" style="width:${(((e.records + e.byId) / max) * 100).toFixed(1)}%"></span></td><td class="num">${num(e.records)}</td><td class="num">${e.byId ? num(e.byId) : ''}</td><td class="num">${num(e.pages)}</td><td class="num${e.retries ? ' warn-text' : ''}">${num(e.retries)}</td></tr>`,
    )
    .join('');
  return `<table class="data"><thead><tr><th>entity</th><th></th><th class="num">records</th><th class="num" title="referenced objects no window covered, retrieved by id">by id</th><th class="num">pages</th><th class="num">retries</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function totalsTable(rows: readonly DailyRow[]): string {
  const by = new Map<
    string,
    { sales: number; n: number; refunds: number; fees: number; net: number; days: Set<string> }
  >();
  for (const r of rows) {
    const t = by.get(r.currency) ?? { sales: 0, n: 0, refunds: 0, fees: 0, net: 0, days: new Set<string>() };
    t.sales += r.sales_amount;
    t.n += r.sales_count;
    t.refunds += r.refunds_amount;
    t.fees += r.fees_amount;
    t.net += r.net_amount;
    t.days.add(r.date_day);
    by.set(r.currency, t);
  }
  const sorted = [...by].sort(([, a], [, b]) => b.sales - a.sales);
  const body = sorted
    .map(
      ([c, t]) =>
        `<tr><td><b>${esc(c.toUpperCase())}</b></td><td class="num">${money(c, t.sales)}</td><td class="num">${num(t.n)}</td><td class="num">${money(c, t.refunds)}</td><td class="num">${money(c, t.fees)}</td><td class="num"><b>${money(c, t.net)}</b></td><td class="num">${t.days.size}</td></tr>`,
    )
    .join('');
  return `<table class="data totals"><thead><tr><th>currency</th><th class="num">sales</th><th class="num">charges</th><th class="num">refunds</th><th class="num">fees</th><th class="num">net</th><th class="num">days</th></tr></thead><tbody>${body}</tbody></table>`;
}

const chartBoxes = (specs: readonly ChartSpec[]) =>
  `<div class="charts">${specs
    .map(
      (s) =>
        `<figure class="chart-card"><figcaption>${esc(s.title)}</figcaption><div class="chart" data-chart="${esc(s.id)}" data-expected-series="${s.series.length}" data-expected-points="${s.x.length}"></div></figure>`,
    )
    .join('')}</div>`;

const absent = (model: string, what: string) =>
  `<p class="absent" data-absent-model="${esc(model)}">No <code>${esc(model)}</code> has been published yet, so there is no ${what} to show. It appears here once a run publishes that model.</p>`;

/**
 * The run report: one self-contained HTML page (uPlot and every style inlined, nothing fetched)
 * showing the run's outcome, its stages, extraction per entity, the quality checks (failures
 * first, with their examples) and charts of the published Gold.
 */
export function renderReportHtml(input: ReportInput, assets: ReportAssets): string {
  const m = input.manifest;
  const failed = m.status === 'failed';
  const running = m.status === 'running';
  const timings = asRecord(m.timings) as Record<string, number>;
  const started = Date.parse(m.started_at);
  const finished = m.finished_at ? Date.parse(m.finished_at) : Number.NaN;
  const duration = Number.isFinite(finished)
    ? (finished - started) / 1000
    : Object.values(timings).reduce((a, b) => a + b, 0);
  const extract = asRecord(m.extract);
  const byId = asRecord(asRecord(m.references).fetched) as Record<string, number>;
  const records = Object.values(extract).reduce((s: number, e) => s + Number(asRecord(e).records ?? 0), 0);
  const fetchedById = Object.values(byId).reduce((s, n) => s + Number(n), 0);
  const quality = m.quality as { passed?: boolean; checks?: Check[] } | undefined;
  const checks = quality?.checks ?? [];
  const failedChecks = checks.filter((c) => !c.passed && c.severity === 'error');
  const warnings = checks.filter((c) => !c.passed && c.severity !== 'error');
  const published = Array.isArray(m.published) ? m.published.length : 0;
  const pointerRuns = [...new Set(input.pointers.map((p) => p.run_id))];

  const daily = input.daily ? dailyCharts(input.daily) : [];
  const mrr = input.mrr ? mrrCharts(input.mrr) : [];
  const payouts = input.payouts ? payoutCharts(input.payouts) : [];
  const charts = [...daily, ...mrr, ...payouts];

  const outcome = running ? 'running' : failed ? 'failed' : 'succeeded';
  const callout = failed
    ? `<div class="callout bad"><b>This run failed${m.error ? ` in ${esc(m.error.step)}` : ''}.</b> ${esc(sentence(m.error?.message ?? ''))}${failedChecks.length ? ` Failed checks: ${failedChecks.map((c) => `<code>${esc(c.name)}</code>`).join(', ')}.` : ''} Nothing it built was published: readers still see ${pointerRuns.length ? `the Gold of run${pointerRuns.length > 1 ? 's' : ''} ${pointerRuns.map((r) => `<code>${esc(r)}</code>`).join(', ')}` : 'no Gold at all (no run has published yet)'}, which the charts below show.</div>`
    : '';
  const goldNote =
    pointerRuns.length === 0
      ? ''
      : pointerRuns.length === 1 && pointerRuns[0] === m.run_id
        ? 'published by this run'
        : `as published by run${pointerRuns.length > 1 ? 's' : ''} ${pointerRuns.map((r) => `<code>${esc(r)}</code>`).join(', ')}`;

  const pointerRows = input.pointers
    .map(
      (p) =>
        `<tr><td><code>${esc(p.model)}</code></td><td><code>${esc(p.run_id)}</code></td><td class="num">${num(p.row_count)}</td><td class="num">${num(p.keys.length)}</td><td>${p.max_business_ts === null ? '–' : isoShort(new Date(p.max_business_ts * 1000).toISOString())}</td></tr>`,
    )
    .join('');

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Run ${esc(m.run_id)} · ${outcome} · payments-pipeline</title>
<style>${inline(assets.uplotCss, 'style')}</style>
<style>${STYLES}</style>
</head>
<body data-run-id="${esc(m.run_id)}" data-status="${esc(outcome)}">
<main>
<header>
  <div class="brand">payments-pipeline · run report</div>
  <h1>Run <code>${esc(m.run_id)}</code> <span class="badge ${outcome}">${outcome}</span></h1>
  <p class="sub"><code>${esc(m.command)}</code> · started ${isoShort(m.started_at)} · ${seconds(duration)} · source: ${esc(sourceLabel(m))} · data: <code>${esc(input.dataRoot)}</code></p>
</header>
${callout}
<section class="kpis">
  <div class="kpi"><div class="kpi-label">Outcome</div><div class="kpi-value ${outcome}">${outcome}</div><div class="kpi-sub">${m.finished_at ? `finished ${isoShort(m.finished_at)}` : 'not finished'}</div></div>
  <div class="kpi"><div class="kpi-label">Duration</div><div class="kpi-value">${seconds(duration)}</div><div class="kpi-sub">${Object.keys(timings).length} stages</div></div>
  <div class="kpi"><div class="kpi-label">Records extracted</div><div class="kpi-value">${num(records)}</div><div class="kpi-sub">${Object.keys(extract).length} entities${fetchedById ? ` · ${num(fetchedById)} more by id` : ''}</div></div>
  <div class="kpi"><div class="kpi-label">Quality checks</div><div class="kpi-value ${failedChecks.length ? 'failed' : ''}">${checks.length - failedChecks.length - warnings.length} / ${checks.length}</div><div class="kpi-sub">${failedChecks.length} failed · ${warnings.length} warning${warnings.length === 1 ? '' : 's'}</div></div>
  <div class="kpi"><div class="kpi-label">Models published</div><div class="kpi-value">${published}</div><div class="kpi-sub">${failed ? 'pointers not moved' : `of ${input.pointers.length} with a pointer`}</div></div>
</section>

<section>
<h2>Sales, refunds, fees and net</h2>
<p class="section-note">Gold <code>daily_overview</code>, ${goldNote || 'not published'}. Amounts in each currency's major unit; refunds and fees as positive amounts, net after both and before payouts to the bank.</p>
${input.daily ? (input.daily.length ? `${totalsTable(input.daily)}${chartBoxes(daily)}` : '<p class="muted">daily_overview is published but has no rows.</p>') : absent('daily_overview', 'daily revenue')}
</section>

<section>
<h2>Monthly recurring revenue</h2>
${input.mrr ? (mrr.length ? chartBoxes(mrr) : '<p class="muted">mrr_movements is published but has no rows.</p>') : absent('mrr_movements', 'MRR or movement')}
</section>

<section>
<h2>Payouts</h2>
${input.payouts ? (payouts.length ? chartBoxes(payouts) : '<p class="muted">fct_payouts is published but has no rows.</p>') : absent('fct_payouts', 'payout')}
</section>

<section>
<h2>Quality checks</h2>
${qualitySection(quality)}
</section>

<section class="two">
<div><h2>Time per stage</h2>${stagesSection(timings, duration)}</div>
<div><h2>Extraction per entity</h2>${extractSection(m.extract, byId)}</div>
</section>

<section>
<h2>Published Gold</h2>
${pointerRows ? `<table class="data"><thead><tr><th>model</th><th>run</th><th class="num">rows</th><th class="num">partitions</th><th>newest data</th></tr></thead><tbody>${pointerRows}</tbody></table>` : '<p class="muted">No model has been published yet.</p>'}
</section>

<footer>Generated ${isoShort(input.generatedAt)} by payments-pipeline ${esc(input.version)} from <code>_state/manifests/run_${esc(m.run_id)}.json</code> and the <code>_latest</code> pointers. Self-contained: opens offline.</footer>
</main>
<script type="application/json" id="report-charts">${scriptJson(charts)}</script>
<script>${inline(assets.uplotJs, 'script')}</script>
<script>${inline(assets.chartsJs, 'script')}</script>
</body>
</html>
`;
}

const STYLES = `
:root{--ink:#0f172a;--muted:#64748b;--line:#e2e8f0;--bg:#f8fafc;--card:#fff;--good:#047857;--bad:#b91c1c;--warn:#b45309}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1120px;margin:0 auto;padding:28px 24px 40px}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.92em}
header{margin-bottom:18px}
.brand{color:var(--muted);font-size:12px;letter-spacing:.08em;text-transform:uppercase}
h1{font-size:24px;margin:4px 0 6px;display:flex;align-items:center;gap:12px;flex-wrap:wrap}
h2{font-size:16px;margin:0 0 10px}
.sub,.section-note{color:var(--muted);margin:0}
.section-note{margin-bottom:12px}
.badge{font-size:12px;font-weight:600;padding:3px 10px;border-radius:999px;text-transform:uppercase;letter-spacing:.04em}
.badge.succeeded{background:#d1fae5;color:var(--good)}.badge.failed{background:#fee2e2;color:var(--bad)}.badge.running{background:#e0e7ff;color:#3730a3}
.callout{border-radius:10px;padding:12px 16px;margin:0 0 18px}
.callout.bad{background:#fef2f2;border:1px solid #fecaca;color:#7f1d1d}
section{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:18px 20px;margin:0 0 16px}
section.two{display:grid;grid-template-columns:1fr 1fr;gap:28px}
section.kpis{display:grid;grid-template-columns:repeat(5,1fr);gap:0;padding:0;overflow:hidden}
.kpi{padding:14px 18px;border-right:1px solid var(--line)}.kpi:last-child{border-right:0}
.kpi-label{color:var(--muted);font-size:12px}
.kpi-value{font-size:22px;font-weight:650;margin:2px 0}
.kpi-value.succeeded{color:var(--good)}.kpi-value.failed{color:var(--bad)}
.kpi-sub{color:var(--muted);font-size:12px}
table.data{width:100%;border-collapse:collapse;font-variant-numeric:tabular-nums}
table.data th{color:var(--muted);font-weight:500;font-size:12px;text-align:left;border-bottom:1px solid var(--line);padding:6px 8px}
table.data td{border-bottom:1px solid #f1f5f9;padding:6px 8px}
table.data tr.total td{font-weight:600;border-bottom:0}
.num{text-align:right!important;white-space:nowrap}
.totals{margin-bottom:14px}
.barcell{width:30%}
.hbar{display:block;height:8px;border-radius:4px;background:#93c5fd;min-width:2px}
.stackbar{display:flex;height:14px;border-radius:7px;overflow:hidden;margin:4px 0 12px;background:#f1f5f9}
.seg{display:block;height:100%}
.dot{display:inline-block;width:9px;height:9px;border-radius:50%;margin-right:8px}
.charts{display:grid;grid-template-columns:1fr 1fr;gap:16px}
.chart-card{margin:0;border:1px solid var(--line);border-radius:10px;padding:10px 12px 4px}
.chart-card figcaption{font-weight:600;font-size:13px;margin-bottom:4px}
.chart{min-height:240px}
.uplot{font-family:inherit}.u-legend{font-size:12px}
.absent{color:var(--muted);background:#f8fafc;border:1px dashed #cbd5e1;border-radius:10px;padding:12px 14px;margin:0}
.lead{margin:0 0 12px}
.bad{color:var(--bad)}.warn-text{color:var(--warn)}.muted{color:var(--muted)}
.check{border:1px solid var(--line);border-left-width:4px;border-radius:8px;padding:10px 14px;margin:0 0 10px}
.check.fail{border-left-color:var(--bad);background:#fffafa}.check.warn{border-left-color:#f59e0b;background:#fffdf7}
.check-head{display:flex;gap:10px;align-items:center;flex-wrap:wrap}
.check-name{font-weight:600}
.pill{font-size:11px;font-weight:700;padding:1px 8px;border-radius:999px;text-transform:uppercase}
.pill.fail{background:#fee2e2;color:var(--bad)}.pill.warn{background:#fef3c7;color:var(--warn)}.pill.pass{background:#d1fae5;color:var(--good)}
dl{margin:6px 0 0;display:grid;grid-template-columns:max-content 1fr;gap:3px 14px}
dt{color:var(--muted)}dd{margin:0;min-width:0;overflow-wrap:anywhere}
table.examples{border-collapse:collapse;font-size:12px;margin:2px 0}
table.examples th,table.examples td{border:1px solid var(--line);padding:2px 8px;text-align:left}
table.examples th{background:#f8fafc;font-weight:500}
.passed-checks summary{cursor:pointer;color:var(--muted)}
.passed-list{columns:3;margin:8px 0 0;padding-left:18px;font-size:12px}
footer{color:var(--muted);font-size:12px;text-align:center;margin-top:18px}
@media (max-width:800px){.charts,section.two{grid-template-columns:1fr}section.kpis{grid-template-columns:1fr 1fr}}
@media print{body{background:#fff}section{break-inside:avoid}}
`;
