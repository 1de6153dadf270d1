import type { Readable } from 'node:stream';
import { LocalObjectStore } from './local-store.js';
import {
  type MoveManyOptions,
  type MovePair,
  normalizePrefix,
  type ObjectInfo,
  type ObjectStore,
} from './object-store.js';
import type { S3ObjectStore, S3ObjectStoreOptions } from './s3-store.js';

/** What {@link createObjectStore} needs from the settings (SPEC section 2). */
export interface ObjectStoreSettings {
  /** `LOCAL` = the filesystem under `localDataDir`; `AWS` = S3 under `s3://s3Bucket/s3Prefix`. */
  readonly env: 'LOCAL' | 'AWS';
  readonly localDataDir: string;
  readonly s3Bucket?: string;
  readonly s3Prefix?: string;
  readonly awsRegion: string;
  /** An S3-compatible endpoint (path-style addressing); unset = AWS itself. */
  readonly s3EndpointUrl?: string;
}

/** Raised when the settings cannot make a store (AWS without a bucket). */
export class ObjectStoreConfigError extends Error {
  override readonly name = 'ObjectStoreConfigError';
}

/**
 * The store the settings ask for. S3 credentials come from the SDK's default chain
 * (`AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`, profile, instance role).
 *
 * @example
 * const s = loadSettings();
 * const store = createObjectStore({
 *   env: s.PIPELINE_ENV, localDataDir: s.LOCAL_DATA_DIR, s3Bucket: s.S3_BUCKET,
 *   s3Prefix: s.S3_PREFIX, awsRegion: s.AWS_REGION, s3EndpointUrl: s.S3_ENDPOINT_URL,
 * });
 */
export function createObjectStore(settings: ObjectStoreSettings): ObjectStore {
  if (settings.env === 'LOCAL') return new LocalObjectStore(settings.localDataDir);
  if (!settings.s3Bucket) throw new ObjectStoreConfigError('S3_BUCKET is required when PIPELINE_ENV=AWS');
  return new DeferredS3Store({
    bucket: settings.s3Bucket,
    prefix: settings.s3Prefix ?? '',
    region: settings.awsRegion,
    ...(settings.s3EndpointUrl ? { endpoint: settings.s3EndpointUrl } : {}),
  });
}

/**
 * The S3 store, its SDK loaded on the first call: importing `@aws-sdk/client-s3` costs a process
 * 0.17 s, which every command on the local disk paid at its start.
 */
export class DeferredS3Store implements ObjectStore {
  readonly root: string;
  readonly listCost = 'pages';
  private store: Promise<S3ObjectStore> | undefined;

  constructor(private readonly options: S3ObjectStoreOptions) {
    const prefix = normalizePrefix(options.prefix ?? '');
    this.root = prefix ? `s3://${options.bucket}/${prefix}` : `s3://${options.bucket}`;
  }

  /** The store itself (the SDK loaded). */
  s3(): Promise<S3ObjectStore> {
    this.store ??= import('./s3-store.js').then(({ S3ObjectStore }) => new S3ObjectStore(this.options));
    return this.store;
  }

  async close(): Promise<void> {
    if (this.store) (await this.store).close();
  }

  async put(key: string, body: Uint8Array | string): Promise<void> {
    return (await this.s3()).put(key, body);
  }
  async putStream(key: string, body: Readable): Promise<void> {
    return (await this.s3()).putStream(key, body);
  }
  async putFile(key: string, localPath: string, opts?: { move?: boolean }): Promise<void> {
    return (await this.s3()).putFile(key, localPath, opts);
  }
  async putIfAbsent(key: string, body: Uint8Array | string): Promise<boolean> {
    return (await this.s3()).putIfAbsent(key, body);
  }
  async get(key: string): Promise<Uint8Array | undefined> {
    return (await this.s3()).get(key);
  }
  async getVersioned(key: string): Promise<{ body: Uint8Array; version: string } | undefined> {
    return (await this.s3()).getVersioned(key);
  }
  async putIfVersion(key: string, body: Uint8Array | string, version: string): Promise<string | undefined> {
    return (await this.s3()).putIfVersion(key, body, version);
  }
  async getToFile(key: string, localPath: string): Promise<boolean> {
    return (await this.s3()).getToFile(key, localPath);
  }
  async list(prefix: string): Promise<ObjectInfo[]> {
    return (await this.s3()).list(prefix);
  }
  async head(key: string): Promise<ObjectInfo | undefined> {
    return (await this.s3()).head(key);
  }
  async move(from: string, to: string): Promise<boolean> {
    return (await this.s3()).move(from, to);
  }
  async moveMany(pairs: readonly MovePair[], opts?: MoveManyOptions): Promise<boolean[]> {
    return (await this.s3()).moveMany(pairs, opts);
  }
  async delete(key: string): Promise<void> {
    return (await this.s3()).delete(key);
  }
}
