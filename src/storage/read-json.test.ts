import { describe, expect, it } from 'vitest';
import { tempDirs } from '../../test/helpers/temp-dirs.js';
import { LocalObjectStore } from './local-store.js';
import { readJsonObject } from './read-json.js';

describe('readJsonObject', () => {
  const tempDir = tempDirs('pp-read-json-');

  it('parses the object, and gives undefined where there is none', async () => {
    const store = new LocalObjectStore(await tempDir());
    await store.put('_state/a.json', JSON.stringify({ run_id: 'r1', n: 2 }));
    expect(await readJsonObject(store, '_state/a.json')).toEqual({ run_id: 'r1', n: 2 });
    expect(await readJsonObject(store, '_state/none.json')).toBeUndefined();
  });

  it('names the key of an object that is not JSON', async () => {
    const store = new LocalObjectStore(await tempDir());
    await store.put('_state/bad.json', '{"run_id": ');
    await expect(readJsonObject(store, '_state/bad.json')).rejects.toThrow(
      /^_state\/bad\.json: not valid JSON \(/,
    );
  });
});
