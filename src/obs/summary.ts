import Table from 'cli-table3';

export interface RunSummary {
  runId: string;
  status: 'succeeded' | 'failed';
  seconds: number;
  dataRoot: string;
  extract?: Record<string, { pages: number; records: number; retries: number }>;
  transform?: Record<string, { partitions: number; rows: number; seconds: number }>;
  quality?: { passed: boolean; checks: { name: string; severity: string; passed: boolean }[] };
  published?: string[];
  error?: string;
}

/** The end-of-run table for a terminal: per entity, per model, checks, time, where the data is. */
export function renderSummary(s: RunSummary): string {
  const out: string[] = [];
  if (s.extract && Object.keys(s.extract).length > 0) {
    const t = new Table({
      head: ['entity', 'records', 'pages', 'retries'],
      colAligns: ['left', 'right', 'right', 'right'],
    });
    for (const [name, e] of Object.entries(s.extract)) t.push([name, e.records, e.pages, e.retries]);
    out.push(t.toString());
  }
  if (s.transform && Object.keys(s.transform).length > 0) {
    const t = new Table({
      head: ['model', 'partitions', 'rows', 'seconds'],
      colAligns: ['left', 'right', 'right', 'right'],
    });
    for (const [name, m] of Object.entries(s.transform))
      t.push([name, m.partitions, m.rows, m.seconds.toFixed(2)]);
    out.push(t.toString());
  }
  if (s.quality) {
    const failed = s.quality.checks.filter((c) => !c.passed);
    const passed = s.quality.checks.length - failed.length;
    out.push(`checks: ${passed} passed, ${failed.length} failed`);
    for (const c of failed) out.push(`  ${c.severity === 'error' ? 'FAIL' : 'WARN'} ${c.name}`);
  }
  if (s.published) out.push(`published _latest: ${s.published.length > 0 ? s.published.join(', ') : 'none'}`);
  out.push(`run ${s.runId} ${s.status} in ${s.seconds.toFixed(1)} s`);
  if (s.error) out.push(`error: ${s.error}`);
  out.push(`data: ${s.dataRoot} (Gold under ${s.dataRoot.replace(/\/$/, '')}/gold/)`);
  return `${out.join('\n')}\n`;
}
