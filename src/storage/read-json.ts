import type { ObjectStore } from './object-store.js';

/**
 * A small JSON state object (a manifest, a `_latest` pointer, a watermark): undefined when there
 * is none; an error naming the key when it is not valid JSON (a damaged object must not read as
 * absent, nor as garbage).
 */
export async function readJsonObject<T>(store: ObjectStore, key: string): Promise<T | undefined> {
  const bytes = await store.get(key);
  if (!bytes) return undefined;
  try {
    return JSON.parse(Buffer.from(bytes).toString('utf8')) as T;
  } catch (err) {
    throw new Error(`${key}: not valid JSON (${(err as Error).message})`);
  }
}
