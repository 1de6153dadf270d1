import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silverView } from '../duckdb/foreign-keys.js';
import { type DuckSession, openDuckSession } from '../duckdb/session.js';
import { sqlString } from '../duckdb/sql-template.js';
import { createStager } from '../duckdb/stager.js';
import { keyIndexFile } from '../state/key-index.js';
import { fingerprintOf } from '../state/verified-index.js';
import { layout } from '../storage/layout.js';
import { LocalObjectStore } from '../storage/local-store.js';
import { probeTargetViews } from './probe-targets.js';

const D1 = '2024-03-01';
const D2 = '2024-03-02';

describe('probeTargetViews', () => {
  let root: string;
  let store: LocalObjectStore;
  let db: DuckSession;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'pp-probe-'));
    store = new LocalObjectStore(join(root, 'lake'));
    db = await openDuckSession({ workDir: join(root, 'duck'), pathBase: store.root });
  });
  afterEach(async () => {
    db.close();
    await rm(root, { recursive: true, force: true });
  });

  const parquet = async (key: string, select: string) => {
    const local = join(root, 'tmp.parquet');
    await db.conn.run(`copy (${select}) to ${sqlString(local)} (format parquet)`);
    await store.putFile(key, local);
  };
  /** Customers' Silver (only the key matters here): cus_1, cus_2 on D1, cus_3 on D2. */
  async function lake() {
    await parquet(layout.silverPartition('customers', D1), `select unnest(['cus_1', 'cus_2']) as id`);
    await parquet(layout.silverPartition('customers', D2), `select 'cus_3' as id`);
    return store.list(layout.silverEntityPrefix('customers'));
  }
  /** An index naming `parts` for customers, whose file holds `ids` (dated D1). */
  async function index(parts: Record<string, string>, ids: string[], body?: string) {
    const key = keyIndexFile('silver.customers', 'f1');
    if (body) await store.put(key, body);
    else await parquet(key, `select unnest(${JSON.stringify(ids).replace(/"/g, "'")}) as id, '${D1}' as dt`);
    await store.put(
      layout.qualityKeyIndex(),
      JSON.stringify({
        version: 2,
        run_id: 'q',
        tables: { 'silver.customers': { key: ['id'], files: [{ name: 'f1', parts }] } },
      }),
    );
  }
  const ids = async (view: string) =>
    (await db.rows<{ id: string }>(`select id from ${view} order by id`)).map((r) => r.id);

  it('reads the partitions the index vouches for from it, the others from their files', async () => {
    const objects = await lake();
    const d1 = objects.find((o) => o.key.includes(D1))!;
    // the index says D1 holds cus_1 only (as read from this very object): D1's ids come from it
    await index({ [D1]: fingerprintOf(d1) }, ['cus_1']);
    const view = await probeTargetViews(
      db,
      store,
      createStager(store, join(root, 'stage')),
      new Map([['customers', objects]]),
    );
    expect(view('customers')).not.toBe(silverView('customers'));
    expect(await ids(view('customers'))).toEqual(['cus_1', 'cus_3']);
  });

  it('does not use an index of another object, or a file that is not one', async () => {
    const objects = await lake();
    await index({ [D1]: '1:1' }, ['cus_1']);
    const stager = createStager(store, join(root, 'stage'));
    const listed = new Map([['customers', objects]]);
    expect((await probeTargetViews(db, store, stager, listed))('customers')).toBe(silverView('customers'));
    await index({ [D1]: fingerprintOf(objects[0]!) }, [], 'not parquet');
    expect((await probeTargetViews(db, store, stager, listed))('customers')).toBe(silverView('customers'));
  });
});
