import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalObjectStore } from '../storage/local-store.js';
import { PartWriter } from './part-writer.js';

let dir: string;
let tmp: string;
let store: LocalObjectStore;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pw-store-'));
  tmp = await mkdtemp(join(tmpdir(), 'pw-tmp-'));
  store = new LocalObjectStore(dir);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
  await rm(tmp, { recursive: true, force: true });
});

const counter = () => {
  let n = 0;
  return () => n++;
};
const line = (i: number) => `${JSON.stringify({ data: { id: `ch_${i}`, pad: 'x'.repeat(80) }, meta: {} })}\n`;
const prefix = 'bronze/source=stripe/entity=charges/dt=2024-01-01/';

describe('PartWriter', () => {
  it('rolls over at the size bound; every line lands exactly once', async () => {
    const w = new PartWriter({
      store,
      entity: 'charges',
      dt: '2024-01-01',
      runId: 'r1',
      tmpDir: tmp,
      maxPartBytes: 1000,
      nextPartNumber: counter(),
    });
    for (let i = 0; i < 50; i++) await w.write(line(i), 1);
    const keys = await w.close();
    expect(keys.length).toBeGreaterThan(3);
    expect(keys[0]).toBe(`${prefix}run_id=r1/part-00000.jsonl`);
    const ids: string[] = [];
    for (const k of keys) {
      const text = Buffer.from((await store.get(k))!).toString('utf8');
      expect(text.endsWith('\n')).toBe(true);
      for (const l of text.trim().split('\n')) ids.push((JSON.parse(l) as { data: { id: string } }).data.id);
    }
    expect(ids).toEqual(Array.from({ length: 50 }, (_, i) => `ch_${i}`));
    expect(await readdir(tmp)).toEqual([]);
  });

  it('shows nothing in Bronze before close (upload is atomic), and writes nothing for no lines', async () => {
    const w = new PartWriter({
      store,
      entity: 'charges',
      dt: '2024-01-01',
      runId: 'r1',
      tmpDir: tmp,
      nextPartNumber: counter(),
    });
    await w.write(line(1), 1);
    expect(await store.list('bronze/')).toEqual([]);
    await w.close();
    expect((await store.list('bronze/')).map((o) => o.key)).toEqual([`${prefix}run_id=r1/part-00000.jsonl`]);
    const empty = new PartWriter({
      store,
      entity: 'charges',
      dt: '2024-01-02',
      runId: 'r1',
      tmpDir: tmp,
      nextPartNumber: counter(),
    });
    expect(await empty.close()).toEqual([]);
  });

  it('never overwrites an existing part (a reused run id takes the next number)', async () => {
    await store.put(`${prefix}run_id=r1/part-00000.jsonl`, 'old\n');
    const w = new PartWriter({
      store,
      entity: 'charges',
      dt: '2024-01-01',
      runId: 'r1',
      tmpDir: tmp,
      nextPartNumber: counter(),
    });
    await w.write(line(1), 1);
    expect(await w.close()).toEqual([`${prefix}run_id=r1/part-00001.jsonl`]);
    expect(Buffer.from((await store.get(`${prefix}run_id=r1/part-00000.jsonl`))!).toString()).toBe('old\n');
  });

  it('discard uploads nothing and cleans its temp file', async () => {
    const w = new PartWriter({
      store,
      entity: 'charges',
      dt: '2024-01-01',
      runId: 'r1',
      tmpDir: tmp,
      nextPartNumber: counter(),
    });
    await w.write(line(1), 1);
    await w.discard();
    expect(await store.list('bronze/')).toEqual([]);
    expect(await readdir(tmp)).toEqual([]);
    await expect(w.write(line(2), 1)).rejects.toThrow('closed');
  });
});
