import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalObjectStore } from '../storage/local-store.js';
import type { ObjectStore } from '../storage/object-store.js';
import { createStager } from './stager.js';

let dir: string;
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('createStager for a remote store', () => {
  it('downloads a key once when callers stage it at once, and again after a failed download', async () => {
    dir = await mkdtemp(join(tmpdir(), 'stager-'));
    const local = new LocalObjectStore(join(dir, 'store'));
    await local.put('bronze/a.jsonl', 'a\n');
    const fetched: string[] = [];
    let failNext = false;
    // the local store seen as a remote one (no local root): the stager must download
    const remote = Object.create(local, {
      localRoot: { value: undefined },
      getToFile: {
        value: async (key: string, path: string) => {
          fetched.push(key);
          await new Promise((r) => setTimeout(r, 10));
          if (failNext) {
            failNext = false;
            throw new Error('connection reset');
          }
          return local.getToFile(key, path);
        },
      },
    }) as ObjectStore;
    const stager = createStager(remote, join(dir, 'stage'));
    await Promise.all([stager.stage(['bronze/a.jsonl']), stager.stage(['bronze/a.jsonl'])]);
    expect(fetched).toEqual(['bronze/a.jsonl']);
    expect(await readFile(stager.localPath('bronze/a.jsonl'), 'utf8')).toBe('a\n');

    await local.put('bronze/b.jsonl', 'b\n');
    failNext = true;
    await expect(stager.stage(['bronze/b.jsonl'])).rejects.toThrow(/connection reset/);
    await stager.stage(['bronze/b.jsonl']);
    expect(fetched).toEqual(['bronze/a.jsonl', 'bronze/b.jsonl', 'bronze/b.jsonl']);
  });
});
