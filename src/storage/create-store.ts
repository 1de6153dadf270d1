import { LocalObjectStore } from './local-store.js';
import type { ObjectStore } from './object-store.js';
import { S3ObjectStore } from './s3-store.js';

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
  return new S3ObjectStore({
    bucket: settings.s3Bucket,
    prefix: settings.s3Prefix ?? '',
    region: settings.awsRegion,
    ...(settings.s3EndpointUrl ? { endpoint: settings.s3EndpointUrl } : {}),
  });
}
