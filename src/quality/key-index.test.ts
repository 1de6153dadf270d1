import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SILVER_CONTRACTS } from '../contracts/silver.js';
import { keyIndexFile, loadKeyIndex } from '../state/key-index.js';
import { fingerprintOf } from '../state/verified-index.js';
import { layout } from '../storage/layout.js';
import { LocalObjectStore } from '../storage/local-store.js';
import { MAX_KEY_INDEX_FILES, type TableKeysRead, writeKeyIndex } from './key-index.js';

const obj = (dt: string) => ({ key: layout.silverPartition('charges', dt), size: 10, modifiedMs: 1000 });
const dts = Array.from(
  { length: MAX_KEY_INDEX_FILES + 1 },
  (_, i) => `2024-03-${String(i + 1).padStart(2, '0')}`,
);

describe('writeKeyIndex', () => {
  let root: string | undefined;
  afterEach(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  async function setup() {
    root = await mkdtemp(join(tmpdir(), 'pp-keyidx-'));
    const store = new LocalObjectStore(join(root, 'lake'));
    // the pool's statements: a copy writes the file it names, as DuckDB would
    const ran: string[] = [];
    const run = async (sql: string) => {
      ran.push(sql);
      const to = /^copy \(.*\) to '([^']+)'/s.exec(sql)?.[1];
      if (to) await writeFile(to, 'parquet');
    };
    const copied = () => ran.filter((sql) => sql.startsWith('copy ('));
    return { store, copied, ran, run, workDir: root };
  }

  /** A table whose first `kept` partitions come from index files f0, f1, … and the rest from files. */
  const table = (kept: number): TableKeysRead<ReturnType<typeof obj>> => {
    const objects = dts.map(obj);
    return {
      table: 'silver.charges',
      contract: SILVER_CONTRACTS.charges,
      objects,
      plan: {
        // each file also held the next partition, read from its object since (retired)
        fromIndex: dts.slice(0, kept).map((dt, i) => ({ name: `f${i}`, dts: [dt], skip: [dts[i + 1]!] })),
        fromFiles: objects.slice(kept),
      },
      all: 'keys_silver_charges',
      fromFiles: 'changed_rel',
    };
  };

  it('adds a file of the keys read from files, keeps the files it read from, and deletes the rest', async () => {
    const { store, copied, run, workDir } = await setup();
    await store.put(keyIndexFile('silver.charges', 'f0'), 'x');
    await store.put(keyIndexFile('silver.charges', 'stale'), 'x');
    const t = table(1);
    const record = await writeKeyIndex(store, { runId: 'r2', workDir, tables: [t], merge: false, run });
    const files = record.tables['silver.charges']!.files;
    expect(files.map((f) => f.name)).toEqual(['f0', expect.stringMatching(/^run_r2_/)]);
    // the file keeps holding 03-02's old rows: retired, not dropped (the next reader skips them)
    expect(files[0]!.parts).toEqual({ [dts[0]!]: fingerprintOf(obj(dts[0]!)), [dts[1]!]: null });
    expect(Object.keys(files[1]!.parts)).toEqual(dts.slice(1));
    expect(copied()).toEqual([expect.stringContaining('from changed_rel')]);
    expect(await loadKeyIndex(store)).toEqual(record);
    const left = (await store.list('_state/quality/keys/')).map((o) => o.key);
    expect(left).toEqual(files.map((f) => keyIndexFile('silver.charges', f.name)).sort());
  });

  it(`merges into one file past ${MAX_KEY_INDEX_FILES} files, and when told (scope all)`, async () => {
    const { store, copied, run, workDir } = await setup();
    const many = await writeKeyIndex(store, {
      runId: 'r3',
      workDir,
      tables: [table(MAX_KEY_INDEX_FILES)],
      merge: false,
      run,
    });
    expect(many.tables['silver.charges']!.files).toHaveLength(1);
    expect(Object.keys(many.tables['silver.charges']!.files[0]!.parts)).toEqual(dts);
    expect(copied().at(-1)).toContain('from keys_silver_charges');
    const all = await writeKeyIndex(store, {
      runId: 'r4',
      workDir,
      tables: [table(1)],
      merge: true,
      run,
    });
    expect(all.tables['silver.charges']!.files).toHaveLength(1);
    expect(Object.keys(all.tables['silver.charges']!.files[0]!.parts)).toEqual(dts);
  });

  it('stores the keys the checks read from their file (scope all), made first if no check named it', async () => {
    const { store, copied, ran, run, workDir } = await setup();
    const materialized = join(workDir, 'keys-read-silver.charges.parquet');
    // the view's maker writes the file when a statement names the view
    const making = async (sql: string) => {
      await run(sql);
      if (sql.includes('keys_silver_charges')) await writeFile(materialized, 'the keys');
    };
    const t = { ...table(0), materialized };
    const all = await writeKeyIndex(store, {
      runId: 'r5',
      workDir,
      tables: [t],
      merge: true,
      run: making,
    });
    expect(ran).toEqual([expect.stringContaining('from keys_silver_charges')]);
    expect(copied()).toEqual([]);
    const [file] = all.tables['silver.charges']!.files;
    expect(Object.keys(file!.parts)).toEqual(dts);
    const stored = await store.get(keyIndexFile('silver.charges', file!.name));
    expect(Buffer.from(stored!).toString('utf8')).toBe('the keys');
    // not merging (scope changed): the new keys are copied as before, whatever the file
    await writeKeyIndex(store, {
      runId: 'r6',
      workDir,
      tables: [{ ...table(1), materialized }],
      merge: false,
      run,
    });
    expect(copied()).toEqual([expect.stringContaining('from changed_rel')]);
  });
});
