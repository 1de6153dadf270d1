import { type ColumnDef, splitPlace } from '../contracts/contract.js';
import { SILVER_CONTRACTS } from '../contracts/silver.js';
import type { TableName } from '../entities/entity.js';
import { sqlIdent, sqlString } from './sql-template.js';

/**
 * The SQL expression of one column over the latest version `obj` (or a name the model computed).
 * `shared`: for a `path` column whose field has other path columns, that field's paths in order;
 * the column then reads its element of one `json_extract` of all of them (see `silverSelectList`).
 */
export function columnExpression(column: ColumnDef, shared?: readonly string[]): string {
  const s = column.source;
  switch (s?.kind) {
    case 'field':
      return `obj.${sqlIdent(s.field)}`;
    case 'ref':
      return `ref_id(obj.${sqlIdent(s.field)})`;
    case 'time':
      return `to_timestamp(obj.${sqlIdent(s.field)})`;
    case 'path': {
      const field = `obj.${sqlIdent(s.field)}`;
      const i = shared?.indexOf(s.path) ?? -1;
      // a shared list's element is JSON: itself for a JSON column, else its text (`->> '$'`)
      const text =
        shared && i >= 0
          ? `json_extract(${field}, [${shared.map(sqlString).join(', ')}])[${i + 1}]${column.type === 'JSON' ? '' : " ->> '$'"}`
          : `${field} ${column.type === 'JSON' ? '->' : '->>'} ${sqlString(s.path)}`;
      // a scalar other than text is cast from its text (`recurring.interval_count` as BIGINT)
      return column.type === 'JSON' || column.type === 'VARCHAR' ? text : `(${text})::${column.type}`;
    }
    case 'first':
      return firstExpression(column.type, s.places, s.as);
    default:
      // computed by the model's own SQL, or a standard column of the shared dedup
      return sqlIdent(column.name);
  }
}

/** `coalesce` over the places, in order, typed as the column (`time`: Unix seconds to TIMESTAMPTZ). */
function firstExpression(
  type: ColumnDef['type'],
  places: readonly string[],
  as: 'value' | 'ref' | 'time',
): string {
  const parts = places.map((place) => {
    const { field, path } = splitPlace(place);
    const obj = `obj.${sqlIdent(field)}`;
    if (as === 'ref') return `ref_id(${path ? `${obj} -> ${sqlString(path)}` : obj})`;
    // every place is read as JSON: its text (->>), or the JSON value itself for a JSON column
    return `${obj} ${type === 'JSON' ? '->' : '->>'} ${sqlString(path ?? '$')}`;
  });
  const first = `coalesce(${parts.join(', ')})`;
  if (as === 'time') return `to_timestamp((${first})::BIGINT)`;
  return type === 'JSON' || type === 'VARCHAR' ? first : `(${first})::${type}`;
}

/**
 * The select list a Silver model ends with (`select {{columns}} from …`): every contract column,
 * in the contract's order, typed from the raw object as the contract declares.
 */
export function silverSelectList(table: TableName): string {
  const columns = SILVER_CONTRACTS[table].columns;
  // Two or more paths into one JSON field (an event's `data.object.id`, `.object.object` and
  // `.previous_attributes`) are read by one `json_extract` of a list of paths, written identically
  // in each column so that DuckDB computes it once: each `->>` parsed the whole JSON again (typing
  // the events of a 1m daily run, 100 MB of `data`, took 2.7 s with three parses, 1.9 s with one).
  const pathsOf = new Map<string, string[]>();
  for (const c of columns)
    if (c.source?.kind === 'path')
      pathsOf.set(c.source.field, [...(pathsOf.get(c.source.field) ?? []), c.source.path]);
  return columns
    .map((c) => {
      const shared = c.source?.kind === 'path' ? pathsOf.get(c.source.field) : undefined;
      const expr = columnExpression(c, shared && shared.length > 1 ? shared : undefined);
      return expr === sqlIdent(c.name) ? expr : `${expr} as ${sqlIdent(c.name)}`;
    })
    .join(',\n    ');
}
