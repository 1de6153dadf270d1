/**
 * Minimal, safe templating of the SQL models: `{{name}}` placeholders filled with SQL fragments
 * that the runner builds with the quoting helpers below. Unknown or unfilled placeholders throw,
 * so a typo can never run a half-rendered query.
 */

/** A single-quoted SQL string literal. */
export function sqlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** A `VARCHAR[]` list literal (typed even when empty). */
export function sqlStringList(values: readonly string[]): string {
  return values.length === 0 ? '[]::VARCHAR[]' : `[${values.map(sqlString).join(', ')}]`;
}

/** A double-quoted SQL identifier. */
export function sqlIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * `cols` of the Parquet files at `paths` as a relation, or an empty relation of those columns and
 * types when there are no files (so SQL over it runs, and returns nothing).
 */
export function parquetColumns(
  paths: readonly string[],
  cols: readonly { readonly name: string; readonly type: string }[],
): string {
  return paths.length > 0
    ? `select ${cols.map((c) => sqlIdent(c.name)).join(', ')} from read_parquet(${sqlStringList(paths)}, hive_partitioning = false)`
    : `select ${cols.map((c) => `NULL::${c.type} as ${sqlIdent(c.name)}`).join(', ')} limit 0`;
}

export class SqlTemplateError extends Error {
  override readonly name = 'SqlTemplateError';
}

/**
 * Replaces every `{{name}}` with `vars[name]`; throws on a placeholder without a value and on a
 * value no placeholder uses.
 *
 * @example
 * renderSql('select * from {{t}}', { t: 'read_json(...)' });
 */
export function renderSql(template: string, vars: Readonly<Record<string, string>>): string {
  const used = new Set<string>();
  const out = template.replace(/\{\{\s*([a-z_][a-z0-9_]*)\s*\}\}/gi, (_m, name: string) => {
    const v = vars[name];
    if (v === undefined) throw new SqlTemplateError(`SQL placeholder {{${name}}} has no value`);
    used.add(name);
    return v;
  });
  const unused = Object.keys(vars).filter((k) => !used.has(k));
  if (unused.length > 0) throw new SqlTemplateError(`SQL values never used: ${unused.join(', ')}`);
  return out;
}
