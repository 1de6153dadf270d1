import Table from 'cli-table3';
import { tableStyle } from './color.js';

export interface RunSummary {
  runId: string;
  status: 'succeeded' | 'failed';
  seconds: number;
  dataRoot: string;
  extract?: Record<string, { pages: number; records: number; retries: number }>;
  transform?: Record<string, { partitions: number; rows: number; seconds: number }>;
  quality?: { passed: boolean; checks: { name: string; severity: string; passed: boolean }[] };
  published?: string[];
  /** Objects retrieved by id in the references pass, per entity (no window covered them). */
  fetchedById?: Record<string, number>;
  /** Wall-clock seconds per stage. */
  stageSeconds?: Record<string, number>;
  /** The process's peak resident set size, MiB. */
  peakRssMib?: number;
  error?: string;
}

/**
 * The fields of the `run summary` log line (SPEC section 12): what the terminal summary shows, in
 * every output mode, so that a scheduled run's logs say what it did.
 */
export function summaryLogFields(s: RunSummary): Record<string, unknown> {
  const entities: Record<string, { records: number; pages: number; retries: number; by_id: number }> = {};
  for (const [name, e] of Object.entries(s.extract ?? {}))
    entities[name] = { records: e.records, pages: e.pages, retries: e.retries, by_id: 0 };
  for (const [name, n] of Object.entries(s.fetchedById ?? {}))
    entities[name] = { ...(entities[name] ?? { records: 0, pages: 0, retries: 0 }), by_id: n };
  const checks = s.quality?.checks ?? [];
  return {
    status: s.status,
    seconds: s.seconds,
    entities,
    models: Object.fromEntries(
      Object.entries(s.transform ?? {}).map(([m, r]) => [m, { partitions: r.partitions, rows: r.rows }]),
    ),
    checks: {
      total: checks.length,
      passed: checks.filter((c) => c.passed).length,
      failed: checks.filter((c) => !c.passed && c.severity === 'error').map((c) => c.name),
      warnings: checks.filter((c) => !c.passed && c.severity !== 'error').map((c) => c.name),
    },
    published: s.published ?? [],
    stage_seconds: s.stageSeconds ?? {},
    ...(s.peakRssMib !== undefined ? { peak_rss_mib: s.peakRssMib } : {}),
    ...(s.error ? { error: s.error } : {}),
  };
}

/** The end-of-run table for a terminal: per entity, per model, checks, time, where the data is. */
export function renderSummary(s: RunSummary, color = false): string {
  const out: string[] = [];
  const byId = s.fetchedById ?? {};
  if ((s.extract && Object.keys(s.extract).length > 0) || Object.keys(byId).length > 0) {
    const t = new Table({
      head: ['entity', 'records', 'by id', 'pages', 'retries'],
      colAligns: ['left', 'right', 'right', 'right', 'right'],
      ...tableStyle(color),
    });
    const names = [...new Set([...Object.keys(s.extract ?? {}), ...Object.keys(byId)])];
    for (const name of names) {
      const e = s.extract?.[name];
      t.push([name, e?.records ?? 0, byId[name] ?? '', e?.pages ?? 0, e?.retries ?? 0]);
    }
    out.push(t.toString());
  }
  if (s.transform && Object.keys(s.transform).length > 0) {
    const t = new Table({
      head: ['model', 'partitions', 'rows', 'seconds'],
      colAligns: ['left', 'right', 'right', 'right'],
      ...tableStyle(color),
    });
    for (const [name, m] of Object.entries(s.transform))
      t.push([name, m.partitions, m.rows, m.seconds.toFixed(2)]);
    out.push(t.toString());
  }
  if (s.quality) {
    const failed = s.quality.checks.filter((c) => !c.passed);
    const passed = s.quality.checks.length - failed.length;
    const errors = failed.filter((c) => c.severity === 'error').length;
    const warnings = failed.length - errors;
    out.push(
      `checks: ${passed} passed, ${errors} failed${warnings ? `, ${warnings} warning${warnings > 1 ? 's' : ''}` : ''}`,
    );
    for (const c of failed) out.push(`  ${c.severity === 'error' ? 'FAIL' : 'WARN'} ${c.name}`);
  }
  if (s.published) out.push(`published _latest: ${s.published.length > 0 ? s.published.join(', ') : 'none'}`);
  out.push(`run ${s.runId} ${s.status} in ${s.seconds.toFixed(1)} s`);
  if (s.error) out.push(`error: ${s.error}`);
  out.push(`data: ${s.dataRoot} (Gold under ${s.dataRoot.replace(/\/$/, '')}/gold/)`);
  return `${out.join('\n')}\n`;
}
