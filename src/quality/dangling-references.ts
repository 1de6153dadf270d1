import type { Settings } from '../config/settings.js';
import type { EntityName } from '../entities/entity.js';
import { isEntityName } from '../entities/lookups.js';
import type { Logger } from '../obs/logger.js';
import type { ObjectStore } from '../storage/object-store.js';
import { openQualityContext } from './quality-context.js';
import { danglingReferences } from './referential.js';

/** The referenced objects Silver lacks (the orphans of every `ref.*` check), deduplicated. */
export async function findDanglingReferences(opts: {
  store: ObjectStore;
  settings: Settings;
  logger: Logger;
  runId: string;
  now: number;
}): Promise<{ table: EntityName; id: string }[]> {
  const ctx = await openQualityContext({ ...opts, scope: 'all' });
  try {
    const refs = await danglingReferences(ctx);
    // Only API entities can be retrieved by id (webhook_events is ours, not the API's).
    return refs.flatMap((r) => (isEntityName(r.table) ? [{ table: r.table, id: r.id }] : []));
  } finally {
    await ctx.close();
  }
}
