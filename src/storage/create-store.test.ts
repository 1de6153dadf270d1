import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createObjectStore, DeferredS3Store, ObjectStoreConfigError } from './create-store.js';
import { LocalObjectStore } from './local-store.js';
import { S3ObjectStore } from './s3-store.js';

describe('createObjectStore', () => {
  const base = { localDataDir: join(tmpdir(), 'pp-create-store'), awsRegion: 'us-east-1' };

  it('makes a local store rooted at LOCAL_DATA_DIR', () => {
    const store = createObjectStore({ ...base, env: 'LOCAL', s3Bucket: 'ignored' });
    expect(store).toBeInstanceOf(LocalObjectStore);
    expect(store.root).toBe(resolve(base.localDataDir));
  });

  it('makes an S3 store rooted at s3://bucket/prefix, its SDK loaded on first use', async () => {
    const store = createObjectStore({
      ...base,
      env: 'AWS',
      s3Bucket: 'lake',
      s3Prefix: 'prod/',
      s3EndpointUrl: 'http://127.0.0.1:1',
    });
    expect(store).toBeInstanceOf(DeferredS3Store);
    expect(store.root).toBe('s3://lake/prod');
    const s3 = await (store as DeferredS3Store).s3();
    expect(s3).toBeInstanceOf(S3ObjectStore);
    // the same root as the store it stands for
    expect(s3.root).toBe(store.root);
    await (store as DeferredS3Store).close();
    expect(createObjectStore({ ...base, env: 'AWS', s3Bucket: 'lake' }).root).toBe('s3://lake');
  });

  it('requires a bucket in AWS', () => {
    expect(() => createObjectStore({ ...base, env: 'AWS' })).toThrow(ObjectStoreConfigError);
    expect(() => createObjectStore({ ...base, env: 'AWS' })).toThrow(/S3_BUCKET/);
  });
});
