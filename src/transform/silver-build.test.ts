import { readdir, readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { SILVER_TABLES } from '../contracts/silver.js';
import { readSilverModelSql, renderSilverModel, silverFragmentOf } from '../duckdb/silver-sql.js';
import { SqlTemplateError } from '../duckdb/sql-template.js';

const noFiles = { own: [], webhooks: [] };
const placeholders = (sql: string) => [...sql.matchAll(/\{\{\s*([a-z_]+)\s*\}\}/gi)].map((m) => m[1]);

describe('Silver SQL layout: one model per table, dedup only in the shared fragments', () => {
  it('sql/silver holds exactly the Silver tables, the `_` fragments they use, and the merges', async () => {
    const files = (await readdir(new URL('./sql/silver/', import.meta.url))).filter((f) =>
      f.endsWith('.sql'),
    );
    const models = files.filter((f) => !f.startsWith('_')).map((f) => f.slice(0, -4));
    const fragments = files.filter((f) => f.startsWith('_')).map((f) => f.slice(1, -4));
    expect(models.sort()).toEqual([...SILVER_TABLES].sort());
    expect(fragments.sort()).toEqual(
      // the dedups the tables name, what they select from, the merges (and whether a child table's
      // can be one) and the order
      [
        ...new Set([
          ...SILVER_TABLES.map(silverFragmentOf),
          'parent_versions',
          'object_versions',
          'event_versions',
          'latest_per_id',
          'merge_latest',
          'merge_children',
          'new_parent_versions',
          'version_order',
        ]),
      ].sort(),
    );
  });

  it.each(['latest_per_id', 'parent_versions', 'merge_latest', 'merge_children', 'new_parent_versions'])(
    '_%s.sql ranks by the one shared version order, written nowhere else',
    async (name) => {
      const sql = await readFile(new URL(`./sql/silver/_${name}.sql`, import.meta.url), 'utf8');
      // (a merge's last tie-break: of one version read twice, the new read)
      expect(sql).toMatch(
        /row_number\(\) over \(partition by [a-z.]+ order by \{\{version_order\}\}(, _(old|current))?\)/,
      );
      expect(sql).not.toMatch(/source_rank\(/);
    },
  );

  it.each(SILVER_TABLES)(
    'silver.%s only types: its placeholders are its fragment and the contract columns',
    async (table) => {
      const { model } = await readSilverModelSql(table);
      expect(placeholders(model)).toEqual([silverFragmentOf(table), 'columns']);
      expect(model).not.toMatch(/row_number|union all|bronze_key\(/i);
    },
  );
});

describe('renderSilverModel', () => {
  it('inlines the rendered fragment once and leaves no placeholder', async () => {
    const sql = renderSilverModel('charges', await readSilverModelSql('charges'), noFiles);
    expect(sql).not.toContain('{{');
    expect(sql.match(/row_number\(\)/g)).toHaveLength(1);
    expect(sql).toContain("data.data.object.object = 'charge'");
  });

  it('refuses a model that does not start from its fragment', async () => {
    const { fragment } = await readSilverModelSql('customers');
    expect(() => renderSilverModel('customers', { model: 'select 1', fragment }, noFiles)).toThrow(
      SqlTemplateError,
    );
  });
});
