import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { S3ObjectStore } from '../src/storage/s3-store.js';
import type { S3TestConfig } from './s3-server.js';

export type { S3TestConfig } from './s3-server.js';

/**
 * The S3 server of this test run (started by test/global-setup.ts). Throws, and so fails the
 * calling test, with the reason when there is none: S3 tests are never skipped.
 *
 * @example
 * const s3 = s3TestConfig();
 * const store = new S3ObjectStore({ ...s3, prefix: freshPrefix('bronze'), credentials: s3 });
 */
export function s3TestConfig(): S3TestConfig {
  const server = inject('s3');
  if (!server) throw new Error('no S3 test server was provided: is test/global-setup.ts the globalSetup?');
  if (!server.ok) throw new Error(`S3 test server unavailable: ${server.error}`);
  return server.config;
}

/** A key prefix no other test uses, so every test has its own corner of the one bucket. */
export function freshPrefix(label = 't'): string {
  return `test/${label}-${Date.now().toString(36)}-${randomUUID().slice(0, 8)}`;
}

/** A store on this test run's S3 server under a fresh prefix (`freshPrefix(label)`). */
export function s3TestStore(label: string): S3ObjectStore {
  const s3 = s3TestConfig();
  return new S3ObjectStore({
    bucket: s3.bucket,
    prefix: freshPrefix(label),
    region: s3.region,
    endpoint: s3.endpoint,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  });
}
