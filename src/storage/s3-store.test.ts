import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { HeadObjectCommand, ListMultipartUploadsCommand, type S3Client } from '@aws-sdk/client-s3';
import pLimit from 'p-limit';
import { afterAll, describe, expect, it } from 'vitest';
import { freshPrefix, type S3TestConfig, s3TestConfig } from '../../test/s3-env.js';
import { testS3Client } from '../../test/s3-server.js';
import { objectStoreSuite } from './object-store.suite.js';
import { normalizePrefix, S3ObjectStore, S3StoreError } from './s3-store.js';

const MIB = 1024 * 1024;

function storeFor(s3: S3TestConfig, prefix: string, overrides: Partial<S3TestConfig> = {}): S3ObjectStore {
  const c = { ...s3, ...overrides };
  return new S3ObjectStore({
    bucket: c.bucket,
    prefix,
    region: c.region,
    endpoint: c.endpoint,
    credentials: { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey },
    // The minimum part size, so the multi-MB cases really go multipart.
    partSizeBytes: 5 * MIB,
    // A small page, so listing really paginates.
    listPageSize: 7,
    // Two keys a DeleteObjects, so moving many really deletes in several requests.
    deleteBatchSize: 2,
  });
}

/** Deletes every key under the store's prefix, then closes its sockets. */
async function emptyAndClose(store: S3ObjectStore): Promise<void> {
  try {
    const limit = pLimit(16);
    await Promise.all((await store.list('')).map((o) => limit(() => store.delete(o.key))));
  } finally {
    store.close();
  }
}

objectStoreSuite('S3ObjectStore (Ceph RGW)', async () => {
  const store = storeFor(s3TestConfig(), freshPrefix('suite'));
  return { store, cleanup: () => emptyAndClose(store) };
});

describe('S3ObjectStore against the real server', () => {
  const clients: S3Client[] = [];
  const rawClient = (s3: S3TestConfig): S3Client => {
    const c = testS3Client(s3);
    clients.push(c);
    return c;
  };
  afterAll(() => {
    for (const c of clients) c.destroy();
  });

  it('roots keys at the prefix and lists them without it', async () => {
    const s3 = s3TestConfig();
    const prefix = freshPrefix('root');
    const store = storeFor(s3, `/${prefix}/`);
    const sibling = storeFor(s3, `${prefix}-sibling`);
    try {
      expect(store.root).toBe(`s3://${s3.bucket}/${prefix}`);
      await store.put('x/1.json', '1');
      await sibling.put('x/2.json', '2');
      expect((await store.list('')).map((o) => o.key)).toEqual(['x/1.json']);
      expect((await sibling.list('x/')).map((o) => o.key)).toEqual(['x/2.json']);
      const head = await rawClient(s3).send(
        new HeadObjectCommand({ Bucket: s3.bucket, Key: `${prefix}/x/1.json` }),
      );
      expect(head.ContentLength).toBe(1);
    } finally {
      await emptyAndClose(store);
      await emptyAndClose(sibling);
    }
  });

  it('uploads large streams as multipart and aborts an interrupted one', async () => {
    const s3 = s3TestConfig();
    const prefix = freshPrefix('multipart');
    const store = storeFor(s3, prefix);
    try {
      await store.putStream('big.bin', Readable.from([Buffer.alloc(6 * MIB, 1), Buffer.alloc(MIB, 2)]));
      const head = await rawClient(s3).send(
        new HeadObjectCommand({ Bucket: s3.bucket, Key: `${prefix}/big.bin` }),
      );
      expect(head.ContentLength).toBe(7 * MIB);
      expect(head.ETag).toMatch(/-2"?$/); // a multipart ETag ends with -<number of parts>

      const broken = Readable.from(
        (async function* () {
          yield Buffer.alloc(6 * MIB, 3);
          await new Promise((r) => setTimeout(r, 50));
          throw new Error('source broke');
        })(),
      );
      await expect(store.putStream('broken.bin', broken)).rejects.toThrow(
        /Upload .*broken\.bin.*source broke/,
      );
      const uploads = await rawClient(s3).send(
        new ListMultipartUploadsCommand({ Bucket: s3.bucket, Prefix: prefix }),
      );
      expect(uploads.Uploads ?? []).toEqual([]);
      expect(await store.head('broken.bin')).toBeUndefined();
    } finally {
      await emptyAndClose(store);
    }
  });

  it('wraps errors with the operation and the key, never the credentials', async () => {
    const s3 = s3TestConfig();
    const secret = `wrong-secret-${randomUUID()}`;
    const store = storeFor(s3, freshPrefix('auth'), { secretAccessKey: secret });
    try {
      const err = await store.put('k/v.json', '{}').then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(S3StoreError);
      const e = err as S3StoreError;
      expect(e.message).toMatch(/^S3 PutObject s3:\/\/.+\/k\/v\.json failed: .*HTTP 403/);
      expect(e.status).toBe(403);
      expect(e.operation).toBe('PutObject');
      expect(`${e.message} ${e.stack}`).not.toContain(secret);
      expect(e.message).not.toContain(s3.secretAccessKey);
    } finally {
      store.close();
    }
  });

  it('treats a missing bucket as an error, not as a missing key', async () => {
    const s3 = s3TestConfig();
    const store = storeFor(s3, '', { bucket: `pp-no-such-bucket-${Date.now()}` });
    try {
      await expect(store.get('a.json')).rejects.toThrow(/S3 GetObject .*a\.json failed: NoSuchBucket/);
      await expect(store.list('')).rejects.toThrow(/ListObjectsV2.*NoSuchBucket/);
      await expect(store.delete('a.json')).rejects.toThrow(S3StoreError);
    } finally {
      store.close();
    }
  });

  it('handles 32 concurrent operations on one client', async () => {
    const store = storeFor(s3TestConfig(), freshPrefix('concurrency'));
    try {
      const keys = Array.from({ length: 64 }, (_, i) => `c/${String(i).padStart(2, '0')}.txt`);
      await Promise.all(keys.slice(0, 32).map((k) => store.put(k, k)));
      await Promise.all(keys.slice(32).map((k) => store.putIfAbsent(k, k)));
      const got = await Promise.all(keys.map((k) => store.get(k)));
      expect(got.map((b) => Buffer.from(b ?? []).toString())).toEqual(keys);
    } finally {
      await emptyAndClose(store);
    }
  });
});

describe('normalizePrefix', () => {
  it.each([
    ['', ''],
    ['/', ''],
    ['prod', 'prod'],
    ['/prod/', 'prod'],
    ['a//b/', 'a/b'],
  ])('%j -> %j', (input, out) => {
    expect(normalizePrefix(input)).toBe(out);
  });
});
