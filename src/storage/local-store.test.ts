import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalObjectStore } from './local-store.js';
import { objectStoreSuite } from './object-store.suite.js';

objectStoreSuite('LocalObjectStore', async () => {
  const root = await mkdtemp(join(tmpdir(), 'pp-local-store-'));
  return { store: new LocalObjectStore(root), cleanup: () => rm(root, { recursive: true, force: true }) };
});

describe('LocalObjectStore', () => {
  it('keeps temp files under <root>/.tmp and removes them after a failed write', async () => {
    const root = await mkdtemp(join(tmpdir(), 'pp-local-store-'));
    try {
      const store = new LocalObjectStore(root);
      await store.put('x/y.json', '{}');
      await expect(store.putFile('x/z.json', join(root, 'no-such-file'))).rejects.toThrow(/ENOENT/);
      expect(await readdir(join(root, '.tmp'))).toEqual([]);
      expect(store.root).toBe(root);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
