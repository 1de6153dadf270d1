/** Bronze read back and compared with the mock's truth (extraction tests). */
import { type BronzeRecord, SOURCE_RANK } from '../../src/bronze/envelope.js';
import { readBronze } from '../../src/bronze/read.js';
import { ENTITY_NAMES } from '../../src/entities/lookups.js';
import { EVENT_RETENTION_SECONDS } from '../../src/mock/index.js';
import type { ObjectStore } from '../../src/storage/object-store.js';
import { mockNow, truthById } from './mock-control.js';

export async function bronzeRecords(store: ObjectStore, entity: string): Promise<BronzeRecord[]> {
  const out: BronzeRecord[] = [];
  for await (const { record } of readBronze(store, entity)) out.push(record);
  return out;
}

/** The newest version per id: highest version_ts; ties api > events > webhook, then the later run. */
export function newestById(records: readonly BronzeRecord[]): Map<string, BronzeRecord> {
  const out = new Map<string, BronzeRecord>();
  for (const r of records) {
    const id = r.data.id as string;
    const cur = out.get(id);
    if (!cur || compare(r, cur) > 0) out.set(id, r);
  }
  return out;
}

function compare(a: BronzeRecord, b: BronzeRecord): number {
  return (
    a.meta.version_ts - b.meta.version_ts ||
    SOURCE_RANK[a.meta.source] - SOURCE_RANK[b.meta.source] ||
    (a.meta.run_id > b.meta.run_id ? 1 : a.meta.run_id < b.meta.run_id ? -1 : 0)
  );
}

/** Differences between Bronze and the mock's truth, as readable strings (empty = equal). */
export async function diffAgainstTruth(
  store: ObjectStore,
  url: string,
  opts: { states: boolean },
): Promise<string[]> {
  const problems: string[] = [];
  // the mock, like Stripe, keeps events 30 days: Bronze keeps the older ones it read back then
  const now = await mockNow(url);
  const expired = (r: BronzeRecord) =>
    typeof r.data.created === 'number' && r.data.created <= now - EVENT_RETENTION_SECONDS;
  for (const entity of ENTITY_NAMES) {
    const t = await truthById(url, entity);
    const records = await bronzeRecords(store, entity);
    const newest = newestById(entity === 'events' ? records.filter((r) => !expired(r)) : records);
    const missing = [...t.keys()].filter((id) => !newest.has(id));
    const extra = [...newest.keys()].filter((id) => !t.has(id));
    if (missing.length)
      problems.push(`${entity}: ${missing.length} ids missing from Bronze, e.g. ${missing[0]}`);
    if (extra.length) problems.push(`${entity}: ${extra.length} ids not in truth, e.g. ${extra[0]}`);
    if (!opts.states || entity === 'events') continue;
    let stale = 0;
    let example = '';
    for (const [id, want] of t) {
      const got = newest.get(id);
      if (!got) continue;
      const same =
        want.deleted === true
          ? got.meta.deleted === true
          : got.meta.deleted !== true &&
            JSON.stringify(sortKeys(got.data)) === JSON.stringify(sortKeys(want));
      if (!same) {
        stale++;
        example ||= `${id} (newest ${got.meta.source}@${got.meta.version_ts})`;
      }
    }
    if (stale)
      problems.push(
        `${entity}: ${stale} objects whose newest Bronze version differs from truth, e.g. ${example}`,
      );
  }
  return problems;
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
    );
  }
  return v;
}

/** Ids duplicated among one run's `source='api'` records of an entity. */
export async function duplicateApiIds(store: ObjectStore, entity: string, runId: string): Promise<string[]> {
  const seen = new Set<string>();
  const dups: string[] = [];
  for await (const { record } of readBronze(store, entity, { runId })) {
    if (record.meta.source !== 'api') continue;
    const id = record.data.id as string;
    if (seen.has(id)) dups.push(id);
    seen.add(id);
  }
  return dups;
}
