import Table from 'cli-table3';
import type { QualityReport } from './types.js';

/** Longest rendering of one detail value before it is cut (the manifest keeps it whole). */
const MAX_VALUE_CHARS = 1200;

function renderValue(v: unknown): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > MAX_VALUE_CHARS ? `${s.slice(0, MAX_VALUE_CHARS)}…` : s;
}

/**
 * The quality report for a terminal: one table row per check (severity, result, seconds), then
 * the details of every failed check, one line per detail, so the broken rows can be read at once.
 *
 * @example
 * process.stderr.write(renderQualityReport(report));
 */
export function renderQualityReport(report: QualityReport): string {
  const table = new Table({
    head: ['check', 'severity', 'result', 'seconds'],
    colAligns: ['left', 'left', 'left', 'right'],
  });
  for (const c of report.checks) {
    const result = c.passed ? 'pass' : c.severity === 'error' ? 'FAIL' : 'WARN';
    table.push([c.name, c.severity, result, c.seconds === undefined ? '' : c.seconds.toFixed(2)]);
  }
  const out = [table.toString()];
  for (const c of report.checks.filter((x) => !x.passed)) {
    out.push('', `${c.severity === 'error' ? 'FAIL' : 'WARN'} ${c.name}`);
    for (const [k, v] of Object.entries(c.details)) out.push(`  ${k}: ${renderValue(v)}`);
  }
  const failed = report.checks.filter((c) => !c.passed);
  const errors = failed.filter((c) => c.severity === 'error').length;
  out.push(
    '',
    `quality ${report.passed ? 'passed' : 'FAILED'} (scope ${report.scope}): ${report.checks.length - failed.length} passed, ${errors} failed, ${failed.length - errors} warnings`,
  );
  return `${out.join('\n')}\n`;
}
