import { describe, expect, it } from 'vitest';
import { fingerprintOf } from '../state/verified-index.js';
import { footersToRead } from './quality-context.js';

describe('footersToRead', () => {
  const at = (dt: string, modifiedMs: number) => ({
    key: `silver/source=stripe/entity=charges/dt=${dt}/data.parquet`,
    size: 10,
    modifiedMs,
  });
  const old1 = at('2024-03-01', 100);
  const old2 = at('2024-03-02', 100);
  const verifiedNew = at('2024-03-03', 500);
  const changed = at('2024-03-04', 500);
  const objs = [old1, old2, verifiedNew, changed];
  const verified = new Map([[verifiedNew.key, fingerprintOf(verifiedNew)]]);

  it('reads the changed files and one verified file; the other verified files take its columns', () => {
    const r = footersToRead(objs, 300, verified);
    expect(r.read.map((o) => o.key)).toEqual([changed.key, old1.key]);
    expect(r.sample).toBe(old1);
    expect(r.assumed).toEqual([old2, verifiedNew]);
  });

  it('reads every file with scope all, and a file whose fingerprint moved', () => {
    expect(footersToRead(objs, undefined, verified).read).toEqual(objs);
    const rewritten = { ...verifiedNew, size: 11 };
    expect(footersToRead([rewritten], 300, verified)).toEqual({
      read: [rewritten],
      sample: undefined,
      assumed: [],
    });
  });
});
