import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freshPrefix, s3TestConfig } from '../../test/s3-env.js';
import { keepLocalCopies, type LocalCopyStore } from './local-copies.js';
import { LocalObjectStore } from './local-store.js';
import type { ObjectStore } from './object-store.js';
import { objectStoreSuite } from './object-store.suite.js';
import { S3ObjectStore } from './s3-store.js';

// The contract, with the copies in the way: every read after a write, move or delete through
// the store must see what the real server holds.
objectStoreSuite('LocalCopyStore over S3ObjectStore (Ceph RGW)', async () => {
  const s3 = s3TestConfig();
  const inner = new S3ObjectStore({
    bucket: s3.bucket,
    prefix: freshPrefix('copies'),
    region: s3.region,
    endpoint: s3.endpoint,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  });
  const dir = await mkdtemp(join(tmpdir(), 'pp-copies-'));
  return {
    store: keepLocalCopies(inner, dir),
    cleanup: async () => {
      for (const o of await inner.list('')) await inner.delete(o.key);
      inner.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

/** The real local store, counting the downloads that reach it; `hold` pauses the next one. */
function counted(inner: ObjectStore) {
  const c = { downloads: 0, hold: undefined as Promise<void> | undefined };
  const store: ObjectStore = Object.create(inner, {
    getToFile: {
      value: async (key: string, path: string) => {
        c.downloads++;
        const ok = await inner.getToFile(key, path);
        if (c.hold) await c.hold;
        return ok;
      },
    },
  });
  return { store, c };
}

describe('LocalCopyStore', () => {
  let dir: string;
  let copies: LocalCopyStore;
  let c: ReturnType<typeof counted>['c'];
  let n = 0;
  const read = async (key: string) => {
    const path = join(dir, 'reads', `${++n}`);
    return (await copies.getToFile(key, path)) ? await readFile(path, 'utf8') : undefined;
  };
  const file = async (body: string) => {
    const path = join(dir, `upload-${++n}`);
    await writeFile(path, body);
    return path;
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pp-copies-'));
    const inner = counted(new LocalObjectStore(join(dir, 'lake')));
    c = inner.c;
    copies = keepLocalCopies(inner.store, join(dir, 'copies'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('serves what it uploaded with move, wrote with put or downloaded once, without a download', async () => {
    const part = await file('bronze part\n');
    await copies.putFile('bronze/a.jsonl', part, { move: true });
    await rm(part, { force: true }); // the caller removes its file, as the part writer does
    await copies.put('_state/ids/a.ids', 'ids');
    expect(await read('bronze/a.jsonl')).toBe('bronze part\n');
    expect(await read('_state/ids/a.ids')).toBe('ids');
    expect(c.downloads).toBe(0);

    // an object written by an earlier run: downloaded once, then served from its copy
    await new LocalObjectStore(join(dir, 'lake')).put('silver/old.parquet', 'old rows');
    expect(await read('silver/old.parquet')).toBe('old rows');
    expect(await read('silver/old.parquet')).toBe('old rows');
    expect(c.downloads).toBe(1);
    expect(copies.served).toBe(3);
  });

  it('a file the caller keeps is not linked: rewriting it later changes nothing read', async () => {
    const kept = await file('v1');
    await copies.putFile('k/index.parquet', kept);
    await writeFile(kept, 'v2, rewritten in place');
    expect(await read('k/index.parquet')).toBe('v1');
    expect(c.downloads).toBe(1);
  });

  it('a move carries the copy; a delete or another kind of write drops it', async () => {
    await copies.putFile('_staging/s/x.parquet', await file('staged'), { move: true });
    expect(await copies.move('_staging/s/x.parquet', 'silver/x.parquet')).toBe(true);
    expect(await read('silver/x.parquet')).toBe('staged');
    expect(await read('_staging/s/x.parquet')).toBeUndefined();

    await copies.put('p/y.json', 'first');
    await copies.putStream('p/y.json', Readable.from([Buffer.from('streamed')]));
    expect(await read('p/y.json')).toBe('streamed');

    await copies.put('p/z.json', 'z');
    await copies.delete('p/z.json');
    expect(await read('p/z.json')).toBeUndefined();

    await copies.put('p/w.json', 'w1');
    await copies.put('p/v.json', 'v1');
    expect(await copies.move('p/v.json', 'p/w.json')).toBe(true);
    expect(await read('p/w.json')).toBe('v1');
  });

  it('a download that a write overlapped is not kept', async () => {
    await new LocalObjectStore(join(dir, 'lake')).put('g/m.parquet', 'before');
    let release!: () => void;
    c.hold = new Promise((r) => {
      release = r;
    });
    const reading = read('g/m.parquet');
    await new Promise((r) => setTimeout(r, 20));
    await copies.put('g/other.json', 'unrelated');
    await copies.putStream('g/m.parquet', Readable.from([Buffer.from('after')]));
    release();
    expect(await reading).toBe('before');
    c.hold = undefined;
    expect(await read('g/m.parquet')).toBe('after');
  });
});
