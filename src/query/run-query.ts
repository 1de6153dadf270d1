import { type DuckDBResultReader, DuckDBTypeId, StatementType } from '@duckdb/node-api';
import type { PublishedLake } from './published-lake.js';

/** A statement `query` refuses: the lake is read-only through it. */
export class ReadOnlyQueryError extends Error {
  constructor(readonly statementType: string) {
    super(
      `query is read-only: ${statementType} statements are refused (SELECT, WITH, DESCRIBE, EXPLAIN only)`,
    );
  }
}

export interface QueryResult {
  readonly columns: string[];
  /** One array per row, values as JSON (integers beyond 2^53, DECIMAL and HUGEINT as strings). */
  readonly rows: unknown[][];
}

const READ_ONLY = new Set<StatementType>([StatementType.SELECT, StatementType.EXPLAIN]);

/**
 * Runs one or more statements over the lake and returns the last one's result. Every statement is
 * prepared first and refused unless it only reads (DuckDB's own statement type, not a guess from
 * the text), so nothing runs when any of them would write.
 */
export async function runReadOnlyQuery(lake: PublishedLake, sql: string): Promise<QueryResult> {
  const extracted = await lake.conn.extractStatements(sql);
  const count = extracted.count;
  if (count === 0) throw new Error('query: no SQL statement given');
  const prepared = [];
  for (let i = 0; i < count; i++) {
    const p = await extracted.prepare(i);
    if (!READ_ONLY.has(p.statementType)) throw new ReadOnlyQueryError(StatementType[p.statementType]);
    prepared.push(p);
  }
  let result: QueryResult = { columns: [], rows: [] };
  for (const p of prepared) {
    const reader = await p.runAndReadAll();
    result = readerRows(reader);
  }
  return result;
}

const INTEGERS = new Set<DuckDBTypeId>([
  DuckDBTypeId.BIGINT,
  DuckDBTypeId.UBIGINT,
  DuckDBTypeId.HUGEINT,
  DuckDBTypeId.UHUGEINT,
]);

/**
 * A result's rows as JSON values. DuckDB's JSON conversion spells every BIGINT as a string (a
 * count or an amount in cents would print quoted); those that fit a double exactly become numbers.
 */
export function readerRows(reader: DuckDBResultReader): QueryResult {
  const ints = reader.columnTypes().map((t) => INTEGERS.has(t.typeId));
  const rows = (reader.getRowsJson() as unknown[][]).map((row) =>
    row.map((v, i) => {
      if (!ints[i] || typeof v !== 'string') return v;
      const n = Number(v);
      return Number.isSafeInteger(n) ? n : v;
    }),
  );
  return { columns: reader.columnNames(), rows };
}
