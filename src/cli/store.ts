import { createObjectStore } from '../storage/create-store.js';
import type { ObjectStore } from '../storage/object-store.js';
import type { CommandContext } from './context.js';

/** The object store the settings ask for (local disk, or S3 under `S3_BUCKET`/`S3_PREFIX`). */
export function storeFor(ctx: Pick<CommandContext, 'settings'>): ObjectStore {
  const s = ctx.settings;
  return createObjectStore({
    env: s.PIPELINE_ENV,
    localDataDir: s.LOCAL_DATA_DIR,
    awsRegion: s.AWS_REGION,
    ...(s.S3_BUCKET ? { s3Bucket: s.S3_BUCKET } : {}),
    s3Prefix: s.S3_PREFIX,
    ...(s.S3_ENDPOINT_URL ? { s3EndpointUrl: s.S3_ENDPOINT_URL } : {}),
  });
}
