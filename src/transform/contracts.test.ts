import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useDuckSession } from '../../test/helpers/duck-session.js';
import { GOLD_CONTRACTS, GOLD_SILVER_INPUTS, type GoldModelName } from '../contracts/gold.js';
import { COMMON_SILVER_COLUMNS, SILVER_CONTRACTS, SILVER_TABLES } from '../contracts/silver.js';
import {
  readModelSql,
  readSilverModelSql,
  renderSilverFragment,
  renderSilverModel,
  type SilverFragment,
  silverFragmentOf,
} from '../duckdb/silver-sql.js';
import { createStager } from '../duckdb/stager.js';
import type { TableName } from '../entities/entity.js';
import { indexColumns } from '../state/key-index.js';
import { LocalObjectStore } from '../storage/local-store.js';
import { openSilverViews, renderGoldModel, silverPartitionRows } from './gold-build.js';
import { depsSql, GOLD_DEPS, TOUCHED_KEYS } from './gold-deps.js';
import { createKeyIndexView } from './key-index-views.js';

const duck = useDuckSession('contracts-');

/** Every Silver view made now, in the test's session (`openSilverViews` makes them on first use). */
async function allSilverViews(store: LocalObjectStore, stager: ReturnType<typeof createStager>) {
  const { listed, session } = await openSilverViews(duck.session, store, stager);
  for (const table of listed.keys()) await session.conn.run(`select * from silver_${table} limit 0`);
  return listed;
}

const describeSql = async (sql: string) =>
  (await duck.session.rows<{ column_name: string; column_type: string }>(`describe ${sql}`)).map(
    (r) => `${r.column_name} ${r.column_type}`,
  );

describe('SQL models return exactly their contract', () => {
  it.each(SILVER_TABLES)('silver.%s', async (table) => {
    const sql = renderSilverModel(table, await readSilverModelSql(table), { own: [], webhooks: [] });
    const expected = SILVER_CONTRACTS[table].columns.map(
      (c) => `${c.name} ${c.type === 'TIMESTAMPTZ' ? 'TIMESTAMP WITH TIME ZONE' : c.type}`,
    );
    expect(await describeSql(sql)).toEqual(expected);
  });

  // what each model's `latest` CTE holds (documented in the fragment's header): obj, then the
  // standard columns the models pass through with `latest.* exclude (obj)`
  const FRAGMENTS: SilverFragment[] = ['latest_versions', 'latest_events'];
  it.each(FRAGMENTS)('silver fragment _%s.sql', async (name) => {
    const table = SILVER_TABLES.find((t) => silverFragmentOf(t) === name)!;
    const fragment = await readModelSql('silver', `_${name}`);
    const sql = renderSilverFragment(table, fragment, { own: [], webhooks: [] });
    const [first, ...rest] = await describeSql(`select * from (${sql})`);
    expect(first).toMatch(/^obj STRUCT\(/);
    expect(rest).toEqual(
      COMMON_SILVER_COLUMNS.map(
        (c) => `${c.name} ${c.type === 'TIMESTAMPTZ' ? 'TIMESTAMP WITH TIME ZONE' : c.type}`,
      ),
    );
  });

  it.each(GOLD_CONTRACTS.map((c) => c.name))('gold.%s', async (model) => {
    const store = new LocalObjectStore(join(duck.dir, 'lake'));
    await allSilverViews(store, createStager(store, join(duck.dir, 'stage')));
    // earlier models are inputs of later ones
    for (const c of GOLD_CONTRACTS) {
      await keyViews(await readModelSql('gold', c.name));
      await duck.session.conn.run(
        `create or replace temp table ${c.name} as ${renderGoldModel(await readModelSql('gold', c.name), 0)}`,
      );
      if (c.name === model) break;
    }
    const contract = GOLD_CONTRACTS.find((c) => c.name === model)!;
    const expected = contract.columns.map(
      (c) => `${c.name} ${c.type === 'TIMESTAMPTZ' ? 'TIMESTAMP WITH TIME ZONE' : c.type}`,
    );
    expect(await describeSql(`select * from ${model}`)).toEqual(expected);
  });

  // SPEC 7.1 pins the Silver columns the SaaS Gold models read: a Silver contract of the table
  // holds them with these types; until there is one, Gold reads exactly these columns
  it.each(Object.keys(GOLD_SILVER_INPUTS))('gold input silver.%s has the pinned columns', async (table) => {
    const pinned = GOLD_SILVER_INPUTS[table as keyof typeof GOLD_SILVER_INPUTS].map(
      (c) => `${c.name} ${c.type}`,
    );
    const contract = (
      SILVER_CONTRACTS as Record<string, { columns: readonly { name: string; type: string }[] }>
    )[table];
    if (contract) {
      expect(contract.columns.map((c) => `${c.name} ${c.type}`)).toEqual(expect.arrayContaining(pinned));
    } else {
      const store = new LocalObjectStore(join(duck.dir, 'lake'));
      await allSilverViews(store, createStager(store, join(duck.dir, 'stage')));
      const view = await describeSql(`select * from silver_${table}`);
      expect(view).toEqual(pinned.map((c) => c.replace('TIMESTAMPTZ', 'TIMESTAMP WITH TIME ZONE')));
    }
  });
});

// gold-build.ts reads of each changed Silver partition only the key and the columns TOUCHED_KEYS
// declares: a deps query reading another one would fail there (and compute the model whole)
describe('touched-keys queries read only the columns declared', () => {
  it.each(Object.keys(TOUCHED_KEYS))('gold/deps/%s.sql', async (model) => {
    const decl = TOUCHED_KEYS[model as GoldModelName]!;
    const store = new LocalObjectStore(join(duck.dir, 'lake'));
    await allSilverViews(store, createStager(store, join(duck.dir, 'stage')));
    for (const [table, read] of Object.entries(decl.silver)) {
      const contract = SILVER_CONTRACTS[table as TableName];
      const names = new Set([...contract.primaryKey, '_bronze_key', '_version_ts', ...read]);
      const cols = contract.columns.filter((c) => names.has(c.name));
      // every declared column is one of the table's
      expect(cols.map((c) => c.name).sort()).toEqual([...names].sort());
      await duck.session.conn.run(
        `create or replace temp table chgrows_${table} (${cols.map((c) => `${c.name} ${c.type}`).join(', ')})`,
      );
    }
    for (const g of decl.gold) {
      const contract = GOLD_CONTRACTS.find((c) => c.name === g)!;
      await duck.session.conn.run(
        `create or replace temp table fresh_${g} (${contract.columns.map((c) => `${c.name} ${c.type}`).join(', ')})`,
      );
    }
    const sql = await depsSql(model as GoldModelName);
    await keyViews(sql);
    expect(await describeSql(`(${sql})`)).toEqual([`${decl.key} VARCHAR`]);
  });
});

// The dependency queries read whole tables through the key index's columns (`keys_silver_<t>`,
// `prev_<model>`): a query reading a column the index does not keep would fail in the run and
// compute the model whole, slowly but silently; here it fails the test.
describe('dependency queries read only what the key index keeps', () => {
  const byKey = Object.entries(GOLD_DEPS).filter(([, d]) => d.byKey.length > 0);
  it.each(byKey.map(([m]) => m))('gold/deps/%s.sql', async (model) => {
    const store = new LocalObjectStore(join(duck.dir, 'lake'));
    const stager = createStager(store, join(duck.dir, 'stage'));
    const listed = await allSilverViews(store, stager);
    for (const t of GOLD_DEPS[model as GoldModelName]!.byKey)
      await duck.session.conn.run(
        `create or replace view chg_${t} as ${await silverPartitionRows(listed, stager, t, [])}`,
      );
    const contract = GOLD_CONTRACTS.find((c) => c.name === model)!;
    await createKeyIndexView(duck.session, stager, undefined, `prev_${model}`, {
      name: `gold.${model}`,
      contract,
      objects: [],
    });
    const sql = await depsSql(model as GoldModelName);
    await keyViews(sql);
    expect(await describeSql(`(${sql})`)).toEqual(['dt DATE']);
  });
});

// A model that declares the columns it reads of a byKey table (GOLD_DEPS `reads`) has its changed
// rows of that table counted by those columns only: a model or dependency query reading another
// column of it would miss changes of that column (a stale Gold row), so here it must fail to bind.
describe('models read of a table no more than their `reads` declares', () => {
  const declared = Object.entries(GOLD_DEPS).filter(([, d]) => d.reads);
  it.each(declared.map(([m]) => m))('gold.%s and its dependency query', async (model) => {
    const reads = GOLD_DEPS[model as GoldModelName]!.reads!;
    const store = new LocalObjectStore(join(duck.dir, 'lake'));
    const stager = createStager(store, join(duck.dir, 'stage'));
    const listed = await allSilverViews(store, stager);
    const only = (table: string) => {
      const contract = SILVER_CONTRACTS[table as TableName];
      const names = new Set([...contract.primaryKey, ...reads[table]!]);
      const cols = contract.columns.filter((c) => names.has(c.name));
      // every declared column is one of the table's
      expect(cols.map((c) => c.name).sort()).toEqual([...names].sort());
      return cols.map((c) => `NULL::${c.type} as ${c.name}`).join(', ');
    };
    for (const t of GOLD_DEPS[model as GoldModelName]!.byKey)
      await duck.session.conn.run(
        t in reads
          ? `create or replace temp table chg_${t} as select ${only(t)} limit 0`
          : `create or replace view chg_${t} as ${await silverPartitionRows(listed, stager, t, [])}`,
      );
    const contract = GOLD_CONTRACTS.find((c) => c.name === model)!;
    await createKeyIndexView(duck.session, stager, undefined, `prev_${model}`, {
      name: `gold.${model}`,
      contract,
      objects: [],
    });
    const deps = await depsSql(model as GoldModelName);
    const template = await readModelSql('gold', model);
    await keyViews(`${deps}\n${template}`);
    // the model and its deps query see only the declared columns of these tables
    for (const t of Object.keys(reads))
      await duck.session.conn.run(
        `create or replace temp view keys_silver_${t} as select ${only(t)}, NULL::DATE as dt limit 0`,
      );
    expect(await describeSql(`(${deps})`)).toEqual(['dt DATE']);
    await describeSql(`(${renderGoldModel(template, 0)})`);
    for (const t of Object.keys(reads)) await duck.session.conn.run(`drop table if exists chg_${t}`);
  });
});

/** The views `keys_silver_<table>` a query names, without an index (from the tables' files). */
async function keyViews(sql: string): Promise<void> {
  const store = new LocalObjectStore(join(duck.dir, 'lake'));
  // a Gold model's keys: those of its temp table, built before the model reading them
  for (const [, model] of sql.matchAll(/\bkeys_gold_([a-z_]+)\b/g)) {
    const contract = GOLD_CONTRACTS.find((c) => c.name === model)!;
    const cols = [...indexColumns(`gold.${model}`, contract), 'dt'].map((c) => `"${c}"`).join(', ');
    await duck.session.conn.run(
      `create or replace temp view keys_gold_${model} as select ${cols} from ${model}`,
    );
  }
  for (const [, table] of sql.matchAll(/\bkeys_silver_([a-z_]+)\b/g))
    await createKeyIndexView(
      duck.session,
      createStager(store, join(duck.dir, 'stage')),
      undefined,
      `keys_silver_${table}`,
      {
        name: `silver.${table}`,
        contract: SILVER_CONTRACTS[table as TableName],
        objects: [],
      },
    );
}
