import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { layout } from '../storage/layout.js';
import type { ObjectStore } from '../storage/object-store.js';
import { type ReportAssets, renderReportHtml } from './render-html.js';
import { collectReportInput } from './report-data.js';

const require = createRequire(import.meta.url);

/** uPlot (from its npm package) and the chart script, read once per process. */
let assets: Promise<ReportAssets> | undefined;
export function loadAssets(): Promise<ReportAssets> {
  assets ??= (async () => {
    const [uplotJs, uplotCss, chartsJs] = await Promise.all([
      readFile(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'),
      readFile(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'),
      readFile(new URL('./assets/report-charts.js', import.meta.url), 'utf8'),
    ]);
    return { uplotJs, uplotCss, chartsJs };
  })();
  return assets;
}

async function packageVersion(): Promise<string> {
  const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

/** The report of one run (default: the newest) as an HTML string. */
export async function buildReport(
  store: ObjectStore,
  runId?: string,
): Promise<{ runId: string; html: string }> {
  const [input, a, version] = await Promise.all([
    collectReportInput(store, { ...(runId ? { runId } : {}), version: 'unknown' }),
    loadAssets(),
    packageVersion(),
  ]);
  return { runId: input.manifest.run_id, html: renderReportHtml({ ...input, version }, a) };
}

/**
 * Writes `_state/reports/run_<run_id>.html` and, when `latest`, `_state/reports/latest.html`
 * (SPEC section 12.1); returns the keys written.
 */
export async function writeRunReport(
  store: ObjectStore,
  runId: string,
  opts: { latest: boolean },
): Promise<string[]> {
  const { html } = await buildReport(store, runId);
  const keys = [layout.report(runId), ...(opts.latest ? [layout.latestReport()] : [])];
  for (const key of keys) await store.put(key, html);
  return keys;
}
