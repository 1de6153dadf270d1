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
    const copied: string[] = [];
    const copy = async (sql: string, local: string) => {
      copied.push(sql);
      await writeFile(local, 'parquet');
    };
    return { store, copied, copy, workDir: root };
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
    const { store, copied, copy, workDir } = await setup();
    await store.put(keyIndexFile('silver.charges', 'f0'), 'x');
    await store.put(keyIndexFile('silver.charges', 'stale'), 'x');
    const t = table(1);
    const record = await writeKeyIndex(store, { runId: 'r2', workDir, tables: [t], merge: false, copy });
    const files = record.tables['silver.charges']!.files;
    expect(files.map((f) => f.name)).toEqual(['f0', expect.stringMatching(/^run_r2_/)]);
    // the file keeps holding 03-02's old rows: retired, not dropped (the next reader skips them)
    expect(files[0]!.parts).toEqual({ [dts[0]!]: fingerprintOf(obj(dts[0]!)), [dts[1]!]: null });
    expect(Object.keys(files[1]!.parts)).toEqual(dts.slice(1));
    expect(copied).toEqual([expect.stringContaining('from changed_rel')]);
    expect(await loadKeyIndex(store)).toEqual(record);
    const left = (await store.list('_state/quality/keys/')).map((o) => o.key);
    expect(left).toEqual(files.map((f) => keyIndexFile('silver.charges', f.name)).sort());
  });

  it(`merges into one file past ${MAX_KEY_INDEX_FILES} files, and when told (scope all)`, async () => {
    const { store, copied, copy, workDir } = await setup();
    const many = await writeKeyIndex(store, {
      runId: 'r3',
      workDir,
      tables: [table(MAX_KEY_INDEX_FILES)],
      merge: false,
      copy,
    });
    expect(many.tables['silver.charges']!.files).toHaveLength(1);
    expect(Object.keys(many.tables['silver.charges']!.files[0]!.parts)).toEqual(dts);
    expect(copied.at(-1)).toContain('from keys_silver_charges');
    const all = await writeKeyIndex(store, { runId: 'r4', workDir, tables: [table(1)], merge: true, copy });
    expect(all.tables['silver.charges']!.files).toHaveLength(1);
    expect(Object.keys(all.tables['silver.charges']!.files[0]!.parts)).toEqual(dts);
  });
});
