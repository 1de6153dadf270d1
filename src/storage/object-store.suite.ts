import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import pLimit from 'p-limit';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ObjectStore } from './object-store.js';

/** A fresh, empty store for one test, and how to clean it up. */
export interface StoreFixture {
  readonly store: ObjectStore;
  cleanup(): Promise<void>;
}

/** Bytes of the large-object cases: above S3's 5 MiB multipart minimum. */
export const LARGE_BYTES = 11 * 1024 * 1024 + 12345;

const MIB = 1024 * 1024;

/**
 * The contract every {@link ObjectStore} implementation passes (one suite, run by
 * local-store.test.ts and s3-store.test.ts).
 */
export function objectStoreSuite(name: string, makeStore: () => Promise<StoreFixture>): void {
  describe(`ObjectStore contract: ${name}`, () => {
    let fx: StoreFixture | undefined;
    let scratch: string;
    const store = (): ObjectStore => {
      if (!fx) throw new Error('store fixture was not created');
      return fx.store;
    };

    beforeAll(async () => {
      scratch = await mkdtemp(join(tmpdir(), 'pp-store-suite-'));
    });
    afterAll(async () => {
      await rm(scratch, { recursive: true, force: true });
    });
    beforeEach(async () => {
      fx = await makeStore();
    });
    afterEach(async () => {
      await fx?.cleanup();
      fx = undefined;
    });

    it('compare-and-swap: putIfVersion replaces only the version it read; one of racers wins', async () => {
      expect(await store().getVersioned('cas/missing.json')).toBeUndefined();
      expect(await store().putIfVersion('cas/missing.json', 'x', 'any')).toBeUndefined();
      expect(await store().get('cas/missing.json')).toBeUndefined();
      await store().put('cas/lock.json', 'v0');
      const v0 = (await store().getVersioned('cas/lock.json'))!;
      expect(text(v0.body)).toBe('v0');
      const v1 = await store().putIfVersion('cas/lock.json', 'v1', v0.version);
      expect(v1).toBeTypeOf('string');
      expect(v1).not.toBe(v0.version);
      expect((await store().getVersioned('cas/lock.json'))!.version).toBe(v1);
      // A stale version (the one a run read before a takeover) no longer writes.
      expect(await store().putIfVersion('cas/lock.json', 'stale', v0.version)).toBeUndefined();
      expect(text(await store().get('cas/lock.json'))).toBe('v1');
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, i) => store().putIfVersion('cas/lock.json', `r${i}`, v1!)),
      );
      const winners = results.filter((r) => r !== undefined);
      expect(winners).toHaveLength(1);
      expect((await store().getVersioned('cas/lock.json'))!.version).toBe(winners[0]);
    });

    it('round-trips binary and string bodies', async () => {
      const binary = Uint8Array.from({ length: 256 }, (_, i) => i);
      await store().put('a/bin.dat', binary);
      await store().put('a/text.json', '{"name":"Zoë ✓"}');
      expect(bytes(await store().get('a/bin.dat'))).toEqual(Buffer.from(binary));
      expect(text(await store().get('a/text.json'))).toBe('{"name":"Zoë ✓"}');
      await store().put('a/empty', '');
      expect(bytes(await store().get('a/empty'))).toEqual(Buffer.alloc(0));
    });

    it('overwrites atomically: a reader sees the whole old or the whole new object', async () => {
      const a = Buffer.alloc(256 * 1024, 'a');
      const b = Buffer.alloc(300 * 1024, 'b');
      await store().put('atomic/obj', a);
      const seen = new Set<string>();
      let writing = true;
      const readers = Array.from({ length: 4 }, async () => {
        for (let i = 0; writing || i === 0; i++) {
          const got = bytes(await store().get('atomic/obj'));
          expect(got.equals(a) || got.equals(b)).toBe(true);
          seen.add(got.equals(a) ? 'a' : 'b');
        }
      });
      for (let i = 0; i < 8; i++) await store().put('atomic/obj', i % 2 === 0 ? b : a);
      writing = false;
      await Promise.all(readers);
      expect(bytes(await store().get('atomic/obj')).equals(a)).toBe(true);
      expect(seen.size).toBeGreaterThan(0);
    });

    it('returns undefined / false for a missing key', async () => {
      expect(await store().get('missing/key')).toBeUndefined();
      expect(await store().head('missing/key')).toBeUndefined();
      expect(await store().getToFile('missing/key', join(scratch, 'never'))).toBe(false);
      await expect(readFile(join(scratch, 'never'))).rejects.toThrow();
    });

    it('lists by prefix, sorted, including partial-segment prefixes', async () => {
      const keys = [
        'a/b/c=2/z.json',
        'a/b/c=12/y.json',
        'a/b/c=1/x.json',
        'a/b/c=1/w/deep.json',
        'a/bb/other.json',
        'top.json',
      ];
      for (const k of keys) await store().put(k, `body of ${k}`);
      const keysOf = async (p: string) => (await store().list(p)).map((o) => o.key);

      expect(await keysOf('')).toEqual([...keys].sort());
      expect(await keysOf('a/b/')).toEqual([
        'a/b/c=1/w/deep.json',
        'a/b/c=1/x.json',
        'a/b/c=12/y.json',
        'a/b/c=2/z.json',
      ]);
      expect(await keysOf('a/b/c=1')).toEqual(['a/b/c=1/w/deep.json', 'a/b/c=1/x.json', 'a/b/c=12/y.json']);
      expect(await keysOf('a/b/c=1/')).toEqual(['a/b/c=1/w/deep.json', 'a/b/c=1/x.json']);
      expect(await keysOf('a/b')).toEqual([...keys].filter((k) => k.startsWith('a/b')).sort());
      expect(await keysOf('a/b/c=1/x.json')).toEqual(['a/b/c=1/x.json']);
      expect(await keysOf('nothing/')).toEqual([]);

      const [info] = await store().list('top.json');
      expect(info?.size).toBe(Buffer.byteLength('body of top.json'));
      expect(Math.abs((info?.modifiedMs ?? 0) - Date.now())).toBeLessThan(60_000);
    });

    it('lists more than one page of keys', async () => {
      // The S3 fixture lists a few keys a page, so 40 keys take several pages.
      const keys = Array.from({ length: 40 }, (_, i) => `many/k${String(i).padStart(4, '0')}`);
      const limit = pLimit(16);
      await Promise.all(keys.map((k) => limit(() => store().put(k, k))));
      const listed = await store().list('many/');
      expect(listed.map((o) => o.key)).toEqual(keys);
    });

    it('never lists temp files, even while a write is in flight', async () => {
      await store().put('done/one.json', '1');
      const body = new PassThrough();
      const writing = store().putStream('done/two.bin', body);
      body.write(Buffer.alloc(MIB, 1));
      await new Promise((r) => setTimeout(r, 200));
      expect((await store().list('')).map((o) => o.key)).toEqual(['done/one.json']);
      expect(await store().get('done/two.bin')).toBeUndefined();
      body.end(Buffer.alloc(MIB, 2));
      await writing;
      expect((await store().list('')).map((o) => o.key)).toEqual(['done/one.json', 'done/two.bin']);
    });

    it('deletes, and deleting a missing key is fine', async () => {
      await store().put('d/x', 'x');
      await store().put('d/y', 'y');
      await store().delete('d/x');
      expect(await store().get('d/x')).toBeUndefined();
      expect((await store().list('d/')).map((o) => o.key)).toEqual(['d/y']);
      await store().delete('d/x');
      await store().delete('d/never/was');
    });

    it('moves an object over another key; a missing source moves nothing', async () => {
      await store().put('m/_staging/run_id=r/a=1/data.bin', 'new bytes');
      await store().put('m/a=1/data.bin', 'old');
      expect(await store().move('m/_staging/run_id=r/a=1/data.bin', 'm/a=1/data.bin')).toBe(true);
      expect(Buffer.from((await store().get('m/a=1/data.bin'))!).toString()).toBe('new bytes');
      expect(await store().get('m/_staging/run_id=r/a=1/data.bin')).toBeUndefined();
      // moved again (a roll-forward after a crash between the copy and the delete): a no-op
      expect(await store().move('m/_staging/run_id=r/a=1/data.bin', 'm/a=1/data.bin')).toBe(false);
      expect(Buffer.from((await store().get('m/a=1/data.bin'))!).toString()).toBe('new bytes');
      expect((await store().list('m/')).map((o) => o.key)).toEqual(['m/a=1/data.bin']);
    });

    it('moves many objects: each as move does, a missing source skipped, onMoved after each', async () => {
      const pairs = [1, 2, 3, 4, 5].map((n) => ({
        from: `mm/_staging/run_id=r/a=${n}/data.bin`,
        to: `mm/a=${n}/data.bin`,
      }));
      for (const [i, p] of pairs.entries()) if (i !== 2) await store().put(p.from, `new ${i}`);
      await store().put(pairs[0]!.to, 'old');
      let calls = 0;
      const moved = await store().moveMany(pairs, { concurrency: 2, onMoved: () => calls++ });
      expect(moved).toEqual([true, true, false, true, true]);
      expect(calls).toBe(5);
      for (const [i, p] of pairs.entries()) {
        const got = await store().get(p.to);
        expect(got && Buffer.from(got).toString(), p.to).toBe(i === 2 ? undefined : `new ${i}`);
      }
      // every source gone: only the published keys are left
      expect((await store().list('mm/')).map((o) => o.key)).toEqual(
        pairs.filter((_, i) => i !== 2).map((p) => p.to),
      );
      // again (a promote finished after a crash): nothing to move, nothing changed
      expect(await store().moveMany(pairs)).toEqual([false, false, false, false, false]);
      expect(Buffer.from((await store().get(pairs[4]!.to))!).toString()).toBe('new 4');
    });

    it('moves many: a throw of onMoved stops the moves not yet started', async () => {
      const pairs = [1, 2, 3].map((n) => ({ from: `ms/_staging/a=${n}/data.bin`, to: `ms/a=${n}/data.bin` }));
      for (const p of pairs) await store().put(p.from, p.to);
      let calls = 0;
      const stop = () => {
        if (++calls === 2) throw new Error('lock lost');
      };
      await expect(store().moveMany(pairs, { concurrency: 1, onMoved: stop })).rejects.toThrow('lock lost');
      expect(calls).toBe(2);
      // the third was never started: its source stays, its key was never written
      expect(await store().get(pairs[2]!.from)).toBeDefined();
      expect(await store().get(pairs[2]!.to)).toBeUndefined();
      // the first two are published (their sources may stay on S3, to be moved again)
      for (const p of pairs.slice(0, 2))
        expect(Buffer.from((await store().get(p.to))!).toString()).toBe(p.to);
    });

    it('heads an object: size and modification time', async () => {
      const before = Date.now();
      await store().put('h/obj', Buffer.alloc(1234, 7));
      const info = await store().head('h/obj');
      expect(info?.key).toBe('h/obj');
      expect(info?.size).toBe(1234);
      // S3 keeps whole seconds; allow for it and for clock skew.
      expect(info?.modifiedMs).toBeGreaterThan(before - 60_000);
      expect(info?.modifiedMs).toBeLessThan(Date.now() + 60_000);
    });

    it('streams a multi-MB object in and out (putStream, getToFile, putFile)', async () => {
      const { stream, sha256 } = generated(LARGE_BYTES);
      await store().putStream('big/stream.bin', stream);
      expect((await store().head('big/stream.bin'))?.size).toBe(LARGE_BYTES);
      expect(hash(bytes(await store().get('big/stream.bin')))).toBe(sha256);

      const local = join(scratch, `${Date.now()}-sub`, 'copy.bin');
      expect(await store().getToFile('big/stream.bin', local)).toBe(true);
      expect(hash(await readFile(local))).toBe(sha256);

      await store().putFile('big/file.bin', local);
      expect((await store().head('big/file.bin'))?.size).toBe(LARGE_BYTES);
      expect(hash(bytes(await store().get('big/file.bin')))).toBe(sha256);

      const small = join(scratch, `${Date.now()}-small.txt`);
      await writeFile(small, 'small file');
      await store().putFile('big/small.txt', small);
      expect(text(await store().get('big/small.txt'))).toBe('small file');

      // with `move` the store may take the file; the object is stored whole either way
      const moving = join(scratch, `${Date.now()}-move.txt`);
      await writeFile(moving, 'moved file');
      await store().putFile('big/moved.txt', moving, { move: true });
      expect(text(await store().get('big/moved.txt'))).toBe('moved file');
    });

    it('rejects invalid keys in every operation and writes nothing', async () => {
      const local = join(scratch, `${Date.now()}-src.txt`);
      await writeFile(local, 'x');
      for (const key of ['', '/abs', 'trailing/', 'a//b', 'a/./b', 'a/../b', '..', '.', 'a\\b']) {
        await expect(store().put(key, 'x'), key).rejects.toThrow(/invalid object key/);
        await expect(store().putIfAbsent(key, 'x'), key).rejects.toThrow(/invalid object key/);
        await expect(store().putStream(key, Readable.from(['x'])), key).rejects.toThrow(/invalid object key/);
        await expect(store().putFile(key, local), key).rejects.toThrow(/invalid object key/);
        await expect(store().get(key), key).rejects.toThrow(/invalid object key/);
        await expect(store().getToFile(key, join(scratch, 'out')), key).rejects.toThrow(/invalid object key/);
        await expect(store().head(key), key).rejects.toThrow(/invalid object key/);
        await expect(store().delete(key), key).rejects.toThrow(/invalid object key/);
      }
      expect(await store().list('')).toEqual([]);
    });

    it('putIfAbsent: exactly one of 20 concurrent creators wins, and its bytes stay', async () => {
      const bodies = Array.from({ length: 20 }, (_, i) => `creator ${i} ${'x'.repeat(i * 100)}`);
      const results = await Promise.all(bodies.map((b) => store().putIfAbsent('lock/one.json', b)));
      const winners = results.flatMap((won, i) => (won ? [i] : []));
      expect(winners).toHaveLength(1);
      expect(text(await store().get('lock/one.json'))).toBe(bodies[winners[0] ?? -1]);
      expect(await store().putIfAbsent('lock/one.json', 'late')).toBe(false);
      expect(text(await store().get('lock/one.json'))).toBe(bodies[winners[0] ?? -1]);
      expect((await store().list('lock/')).map((o) => o.key)).toEqual(['lock/one.json']);
    });

    it('an interrupted putStream leaves no partial object and keeps the previous one', async () => {
      await store().put('int/kept.bin', 'previous version');
      await expect(store().putStream('int/kept.bin', failingAfter(6 * MIB))).rejects.toThrow(/source broke/);
      await expect(store().putStream('int/new.bin', failingAfter(6 * MIB))).rejects.toThrow(/source broke/);
      await expect(store().putStream('int/tiny.bin', failingAfter(1000))).rejects.toThrow(/source broke/);
      expect(text(await store().get('int/kept.bin'))).toBe('previous version');
      expect(await store().get('int/new.bin')).toBeUndefined();
      expect(await store().head('int/tiny.bin')).toBeUndefined();
      expect(await store().list('')).toEqual([
        expect.objectContaining({ key: 'int/kept.bin', size: 'previous version'.length }),
      ]);
    });
  });
}

function bytes(b: Uint8Array | undefined): Buffer {
  if (!b) throw new Error('expected an object, got undefined');
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

function text(b: Uint8Array | undefined): string {
  return bytes(b).toString('utf8');
}

function hash(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

/** A deterministic, incompressible-looking stream of `size` bytes, and its hash. */
function generated(size: number): { stream: Readable; sha256: string } {
  const chunks: Buffer[] = [];
  for (let off = 0, i = 0; off < size; i++) {
    const seed = createHash('sha256').update(`chunk ${i}`).digest();
    const chunk = Buffer.alloc(Math.min(64 * 1024, size - off));
    for (let j = 0; j < chunk.length; j += seed.length)
      seed.copy(chunk, j, 0, Math.min(seed.length, chunk.length - j));
    chunk.writeUInt32BE(i, 0);
    chunks.push(chunk);
    off += chunk.length;
  }
  return { stream: Readable.from(chunks), sha256: hash(Buffer.concat(chunks)) };
}

/** A stream that sends `okBytes` bytes, then fails like a dropped source connection. */
function failingAfter(okBytes: number): Readable {
  return Readable.from(
    (async function* () {
      let sent = 0;
      while (sent < okBytes) {
        const n = Math.min(MIB, okBytes - sent);
        yield Buffer.alloc(n, 0x5a);
        sent += n;
        await new Promise((r) => setImmediate(r));
      }
      throw new Error('source broke half way');
    })(),
  );
}
