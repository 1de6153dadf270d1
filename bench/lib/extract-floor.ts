/**
 * The extraction floor (SPEC section 14): every page of the same windows fetched by the tightest
 * loop a client can run — undici keep-alive pool, the same number of requests in flight, only the
 * JSON parse pagination needs, nothing written.
 */
import pLimit from 'p-limit';
import { Pool } from 'undici';
import { ENTITIES } from '../../src/entities/registry.js';
import { type TimeWindow, timeSlices } from '../../src/extract/windows.js';

/** Pages and records fetched and the wall time it took. */
export interface FetchResult {
  readonly seconds: number;
  readonly pages: number;
  readonly records: number;
}

/**
 * Lists every entity over its window (sliced by UTC day, as the extractor slices), `concurrency`
 * requests at a time.
 */
export async function extractFloor(
  baseUrl: string,
  apiKey: string,
  windows: ReadonlyMap<string, TimeWindow>,
  concurrency: number,
): Promise<FetchResult> {
  const pool = new Pool(baseUrl, { connections: concurrency, pipelining: 1 });
  const requests = pLimit(concurrency);
  let records = 0;
  let pages = 0;
  const t0 = performance.now();
  const jobs: Promise<void>[] = [];
  for (const def of ENTITIES) {
    const w = windows.get(def.name);
    if (!w) continue;
    for (const s of timeSlices(w)) {
      jobs.push(
        (async () => {
          let after: string | undefined;
          for (;;) {
            const q = new URLSearchParams({
              limit: '100',
              'created[gte]': String(s.gte),
              'created[lt]': String(s.lt),
              ...def.listParams,
            });
            if (after) q.set('starting_after', after);
            const body = await requests(async () => {
              const res = await pool.request({
                method: 'GET',
                path: `${def.endpoint}?${q}`,
                headers: { authorization: `Bearer ${apiKey}` },
              });
              const text = await res.body.text();
              if (res.statusCode !== 200)
                throw new Error(`floor: ${def.endpoint} answered ${res.statusCode}: ${text}`);
              return JSON.parse(text) as { data: { id: string }[]; has_more: boolean };
            });
            pages++;
            records += body.data.length;
            if (!body.has_more || body.data.length === 0) break;
            after = body.data[body.data.length - 1]!.id;
          }
        })(),
      );
    }
  }
  try {
    await Promise.all(jobs);
  } finally {
    await pool.close();
  }
  return { seconds: (performance.now() - t0) / 1000, pages, records };
}
