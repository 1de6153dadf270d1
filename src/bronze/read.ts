import { layout, parseBronzeKey } from '../storage/layout.js';
import type { ObjectStore } from '../storage/object-store.js';
import type { BronzeRecord } from './envelope.js';

/** A Bronze line that is not a valid envelope, with where it is. */
export class BronzeLineError extends Error {
  override readonly name = 'BronzeLineError';
  constructor(
    readonly key: string,
    readonly line: number,
    detail: string,
  ) {
    super(`${key}:${line}: ${detail}`);
  }
}

/**
 * Every record of an entity's Bronze (optionally one run's), part by part, in key order; one part
 * in memory at a time.
 *
 * @example
 * for await (const { record, key } of readBronze(store, 'charges')) console.log(key, record.data.id);
 */
export async function* readBronze(
  store: ObjectStore,
  entity: string,
  filter: { runId?: string } = {},
): AsyncGenerator<{ record: BronzeRecord; key: string; line: number }> {
  for (const obj of await store.list(layout.bronzeEntityPrefix(entity))) {
    const parts = parseBronzeKey(obj.key);
    if (!parts || (filter.runId !== undefined && parts.runId !== filter.runId)) continue;
    const bytes = await store.get(obj.key);
    if (!bytes) continue;
    const lines = Buffer.from(bytes).toString('utf8').split('\n');
    for (let i = 0; i < lines.length; i++) {
      const text = lines[i]!;
      if (text === '') continue;
      let record: BronzeRecord;
      try {
        record = JSON.parse(text) as BronzeRecord;
      } catch (err) {
        throw new BronzeLineError(obj.key, i + 1, `not JSON (${(err as Error).message})`);
      }
      if (typeof record?.data !== 'object' || typeof record?.meta !== 'object') {
        throw new BronzeLineError(obj.key, i + 1, 'not a {data, meta} envelope');
      }
      yield { record, key: obj.key, line: i + 1 };
    }
  }
}
