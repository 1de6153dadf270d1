import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { layout } from '../storage/layout.js';
import { LocalObjectStore } from '../storage/local-store.js';
import { PartWriter } from './part-writer.js';

/**
 * A gate on the open of the write streams PartWriter creates: while `gate.held`, a stream's
 * `open` waits for `gate.release()`, so a test can act while the stream is still opening (the
 * race that left temp files in ~1% of discards, made certain). `gate.awaited` resolves when code
 * outside this mock starts waiting for the stream's `close`; `gate.settled` once the held open
 * has completed and the stream closed.
 */
const gate = vi.hoisted(() => ({
  held: false,
  release: () => {},
  awaited: Promise.resolve(),
  settled: Promise.resolve(),
}));
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  type Open = typeof fs.open;
  const createWriteStream: typeof fs.createWriteStream = (path, options) => {
    if (!gate.held) return fs.createWriteStream(path, options);
    let release = () => {};
    const released = new Promise<void>((r) => {
      release = r;
    });
    let settle = () => {};
    gate.settled = new Promise<void>((r) => {
      settle = r;
    });
    gate.release = release;
    const open = ((...args: Parameters<Open>) => {
      void released.then(() => (fs.open as (...a: unknown[]) => void)(...args));
    }) as Open;
    const stream = fs.createWriteStream(path, {
      ...(typeof options === 'object' ? options : {}),
      fs: { open, write: fs.write, writev: fs.writev, close: fs.close },
    });
    stream.once('close', () => settle());
    gate.awaited = new Promise<void>((r) => {
      stream.on('newListener', (event) => {
        if (event === 'close') r();
      });
    });
    return stream;
  };
  return { ...fs, default: { ...fs, createWriteStream }, createWriteStream };
});

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
/** A writer of charges for run r1, 2024-01-01 unless the overrides say otherwise. */
const writer = (overrides: { dt?: string; maxPartBytes?: number } = {}) =>
  new PartWriter({
    store,
    entity: 'charges',
    dt: '2024-01-01',
    runId: 'r1',
    tmpDir: tmp,
    nextPartNumber: counter(),
    ...overrides,
  });

describe('PartWriter', () => {
  it('rolls over at the size bound; every line lands exactly once', async () => {
    const w = writer({ maxPartBytes: 1000 });
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

  it('writes the id sidecar of each part whose every write came with its ids, of no other', async () => {
    const w = writer({ maxPartBytes: 1000 });
    for (let i = 0; i < 20; i++) await w.write(line(i), 1, [`ch_${i}`]);
    const keys = await w.close();
    expect(keys.length).toBeGreaterThan(1);
    const ids: string[] = [];
    for (const k of keys) {
      const side = Buffer.from((await store.get(layout.bronzeIds(k)))!)
        .toString('utf8')
        .trim()
        .split('\n');
      const head = JSON.parse(side[0]!) as { part_bytes: number; lines: number };
      const part = (await store.head(k))!;
      expect(head).toEqual({ part_bytes: part.size, lines: side.length - 1 });
      ids.push(...side.slice(1).map((l) => (JSON.parse(l) as { id: string }).id));
    }
    expect(ids).toEqual(Array.from({ length: 20 }, (_, i) => `ch_${i}`));
    // one write without its ids (or with too few): that part gets no sidecar
    const other = writer({ dt: '2024-01-02' });
    await other.write(line(1), 1, ['ch_1']);
    await other.write(line(2) + line(3), 2, ['ch_2']);
    const [only] = await other.close();
    expect(await store.head(layout.bronzeIds(only!))).toBeUndefined();
  });

  it('shows nothing in Bronze before close (upload is atomic), and writes nothing for no lines', async () => {
    const w = writer();
    await w.write(line(1), 1);
    expect(await store.list('bronze/')).toEqual([]);
    await w.close();
    expect((await store.list('bronze/')).map((o) => o.key)).toEqual([`${prefix}run_id=r1/part-00000.jsonl`]);
    const empty = writer({ dt: '2024-01-02' });
    expect(await empty.close()).toEqual([]);
  });

  it('never overwrites an existing part (a reused run id takes the next number)', async () => {
    await store.put(`${prefix}run_id=r1/part-00000.jsonl`, 'old\n');
    const w = writer();
    await w.write(line(1), 1);
    expect(await w.close()).toEqual([`${prefix}run_id=r1/part-00001.jsonl`]);
    expect(Buffer.from((await store.get(`${prefix}run_id=r1/part-00000.jsonl`))!).toString()).toBe('old\n');
  });

  it('discard uploads nothing and cleans its temp file', async () => {
    const w = writer();
    await w.write(line(1), 1);
    await w.discard();
    expect(await store.list('bronze/')).toEqual([]);
    expect(await readdir(tmp)).toEqual([]);
    await expect(w.write(line(2), 1)).rejects.toThrow('closed');
  });

  it('discard while the stream is still opening leaves no temp file (the open completes after it)', async () => {
    const w = writer();
    gate.held = true;
    try {
      await w.write(line(1), 1);
      const discarded = w.discard();
      // The open completes only once discard is done with the file or waits for the stream to
      // close: a discard that removes the file without waiting is then beaten by the open.
      await Promise.race([discarded, gate.awaited]);
      gate.release();
      await discarded;
      await gate.settled;
    } finally {
      gate.held = false;
      gate.release();
    }
    expect(await readdir(tmp)).toEqual([]);
    expect(await store.list('bronze/')).toEqual([]);
  });
});
