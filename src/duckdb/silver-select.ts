import { type ColumnDef, splitPlace } from '../contracts/contract.js';
import { SILVER_CONTRACTS } from '../contracts/silver.js';
import type { TableName } from '../entities/entity.js';
import { sqlIdent, sqlString } from './sql-template.js';

/** The SQL expression of one column over the latest version `obj` (or a name the model computed). */
export function columnExpression(column: ColumnDef): string {
  const s = column.source;
  switch (s?.kind) {
    case 'field':
      return `obj.${sqlIdent(s.field)}`;
    case 'ref':
      return `ref_id(obj.${sqlIdent(s.field)})`;
    case 'time':
      return `to_timestamp(obj.${sqlIdent(s.field)})`;
    case 'path': {
      const text = `obj.${sqlIdent(s.field)} ${column.type === 'JSON' ? '->' : '->>'} ${sqlString(s.path)}`;
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
  return SILVER_CONTRACTS[table].columns
    .map((c) => {
      const expr = columnExpression(c);
      return expr === sqlIdent(c.name) ? expr : `${expr} as ${sqlIdent(c.name)}`;
    })
    .join(',\n    ');
}
