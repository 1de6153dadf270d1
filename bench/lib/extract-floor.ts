/**
 * The extraction floor (SPEC section 14): the same pages as the extractor fetched by the tightest
 * loop a client can run — undici keep-alive pool, the same number of requests in flight, only the
 * JSON parse pagination needs, nothing written. "The same pages": each window is paged by the
 * extractor's own plan (`followDensity` after its first page) and the child lists its parents ask
 * for (`childReadsOf`) are read too.
 */
import pLimit from 'p-limit';
import { Pool } from 'undici';
import type { EntityName } from '../../src/entities/entity.js';
import { ENTITIES } from '../../src/entities/registry.js';
import { CHILD_PARENTS, childReadsOf } from '../../src/extract/child-reads.js';
import { followDensity, type TimeWindow } from '../../src/extract/windows.js';

/** Pages and records fetched and the wall time it took. */
export interface FetchResult {
  readonly seconds: number;
  readonly pages: number;
  readonly records: number;
}

type Page = { data: Record<string, unknown>[]; has_more: boolean };

/**
 * Lists every entity over its window as the extractor pages it, and the child lists of the
 * parents listed, `concurrency` requests at a time. What it leaves out of the extractor's plan:
 * the extra splits of a dense slice while workers starve (they depend on timing; a few
 * part-filled pages).
 */
export async function extractFloor(
  baseUrl: string,
  apiKey: string,
  windows: ReadonlyMap<string, TimeWindow>,
  concurrency: number,
): Promise<FetchResult> {
  const pool = new Pool(baseUrl, { connections: concurrency, pipelining: 1 });
  const requests = pLimit(concurrency);
  const limit = 100;
  let records = 0;
  let pages = 0;
  const get = (path: string, params: Record<string, string>): Promise<Page> =>
    requests(async () => {
      const res = await pool.request({
        method: 'GET',
        path: `${path}?${new URLSearchParams(params)}`,
        headers: { authorization: `Bearer ${apiKey}` },
      });
      const text = await res.body.text();
      if (res.statusCode !== 200) throw new Error(`floor: ${path} answered ${res.statusCode}: ${text}`);
      pages++;
      const page = JSON.parse(text) as Page;
      records += page.data.length;
      return page;
    });
  const jobs = new Set<Promise<void>>();
  const start = (job: () => Promise<void>) => {
    const p: Promise<void> = job().finally(() => jobs.delete(p));
    jobs.add(p);
  };
  // One read per parent (and per final status of a payout), as the extractor's `ChildReader`.
  const read = new Set<string>();
  const readChildren = (entity: EntityName, page: Page) => {
    if (!CHILD_PARENTS.has(entity)) return;
    for (const obj of page.data) {
      for (const r of childReadsOf(entity, obj, 0, true)) {
        const key = `${r.child}/${r.parent.id}/${r.final}`;
        if (read.has(key)) continue;
        read.add(key);
        start(async () => {
          for (let after: string | undefined; ; ) {
            const params = { ...r.params, limit: String(limit), ...(after ? { starting_after: after } : {}) };
            const body = await get(r.endpoint, params);
            if (!body.has_more || body.data.length === 0) break;
            after = String(body.data.at(-1)!.id);
          }
        });
      }
    }
  };
  const listWindow = (def: (typeof ENTITIES)[number], w: TimeWindow) =>
    start(async () => {
      let gte = w.gte;
      let after: string | undefined;
      for (let first = true; ; first = false) {
        const params = {
          limit: String(limit),
          'created[gte]': String(gte),
          'created[lt]': String(w.lt),
          ...def.listParams,
          ...(after ? { starting_after: after } : {}),
        };
        const body = await get(def.endpoint, params);
        readChildren(def.name, body);
        if (!body.has_more || body.data.length === 0) break;
        after = String(body.data.at(-1)!.id);
        const newest = body.data[0]!.created;
        const oldest = body.data.at(-1)!.created;
        if (first && body.data.length >= limit && typeof newest === 'number' && typeof oldest === 'number') {
          const next = followDensity({ gte, lt: w.lt }, { newest, oldest, hasMore: true });
          for (const s of next.split) listWindow(def, s);
          gte = next.gte;
        }
      }
    });

  const t0 = performance.now();
  for (const def of ENTITIES) {
    const w = windows.get(def.name);
    if (w && w.lt > w.gte) listWindow(def, w);
  }
  try {
    while (jobs.size > 0) await Promise.all(jobs);
  } finally {
    await pool.close();
  }
  return { seconds: (performance.now() - t0) / 1000, pages, records };
}
