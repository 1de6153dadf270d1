import Table from 'cli-table3';
import { tableStyle } from '../obs/color.js';
import type { QueryResult } from './run-query.js';

export type QueryFormat = 'table' | 'csv' | 'json';

const text = (v: unknown): string =>
  v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);

/** RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled. NULL is empty. */
function csvField(v: unknown): string {
  const s = text(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * Renders a query result: `table` for a person (no colours: tables are piped too), `csv` with a
 * header row, `json` as an array with one object per line (keys in column order).
 *
 * @example
 * process.stdout.write(formatResult({ columns: ['n'], rows: [[1]] }, 'csv')); // "n\n1\n"
 */
export function formatResult(r: QueryResult, format: QueryFormat): string {
  if (format === 'csv') {
    return `${[r.columns, ...r.rows].map((row) => row.map(csvField).join(',')).join('\r\n')}\r\n`;
  }
  if (format === 'json') {
    if (r.rows.length === 0) return '[]\n';
    const lines = r.rows.map((row) =>
      JSON.stringify(Object.fromEntries(r.columns.map((c, i) => [c, row[i]]))),
    );
    return `[\n${lines.join(',\n')}\n]\n`;
  }
  const table = new Table({
    head: r.columns,
    ...tableStyle(false),
    colAligns: r.columns.map((_, i) =>
      r.rows.every((row) => row[i] === null || typeof row[i] === 'number') ? 'right' : 'left',
    ),
  });
  for (const row of r.rows) table.push(row.map((v) => (v === null ? 'NULL' : text(v))));
  return `${table.toString()}\n(${r.rows.length} row${r.rows.length === 1 ? '' : 's'})\n`;
}
