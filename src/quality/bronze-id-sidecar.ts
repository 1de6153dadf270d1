import { PARENT_REF_TYPE } from '../duckdb/bronze-read.js';
import { chunksOfBytes } from '../duckdb/read-chunks.js';
import { sqlString, sqlStringList } from '../duckdb/sql-template.js';
import type { TableName } from '../entities/entity.js';
import { layout } from '../storage/layout.js';
import { num } from './examples.js';
import type { QualityContext } from './quality-context.js';

/**
 * Inserts into `into` (id, bronze_key) the ids of those Bronze parts of `keys` whose id sidecar
 * (written by the extractor, `bronze/part-ids.ts`) vouches for them, and returns those keys: a
 * sidecar counts when its header gives the part's size as listed now and as many ids as it says
 * the part has lines. Any other part (no sidecar, a part of another size, a short sidecar) is left
 * to the caller, which parses its JSON. Sound because Bronze is append-only: a part of the size
 * the extractor wrote is the part it wrote.
 *
 * `parents`: the parts are pages of a child fetched by parent; `into` is (id, parent, page),
 * `parent` as the pages' `meta.parent` names it and `page` the part's index in `keys` (a key per
 * row was 1.1m strings for the payout transactions at 1m), and a sidecar counts only when it gives
 * a parent for every id (the extractor writes them so).
 */
export async function loadSidecarIds(
  ctx: QualityContext,
  table: TableName,
  keys: readonly string[],
  partSizes: ReadonlyMap<string, number>,
  into: string,
  { parents = false }: { parents?: boolean } = {},
): Promise<Set<string>> {
  const vouched = new Set<string>();
  if (keys.length === 0) return vouched;
  const sidecars = await listSidecars(ctx, table, keys);
  const indexOf = new Map(keys.map((k, i) => [k, i] as const));
  const partOf = new Map<string, string>();
  for (const k of keys) if (sidecars.has(layout.bronzeIds(k))) partOf.set(layout.bronzeIds(k), k);
  const sc = `${into}_sidecar`;
  for (const chunk of chunksOfBytes([...partOf.keys()], sidecars)) {
    await ctx.stager.stage(chunk);
    // rows name their sidecar by its index in `chunk`, not by its path: a million copies of a path
    // (the charges' at 1m) were a third of DuckDB's memory limit, and the check spilled
    const paths = chunk.map((k) => ctx.stager.localPath(k));
    await ctx.db.conn.run(
      `create or replace temp table ${sc} as
       select m.sidecar, part_bytes, lines, id${parents ? ', parent' : ''}
       from read_json(${sqlStringList(paths)}, format = 'newline_delimited',
         filename = true, columns = {part_bytes: 'BIGINT', lines: 'BIGINT', id: 'VARCHAR'${
           parents ? `, parent: ${sqlString(PARENT_REF_TYPE)}` : ''
         }}) r
       join (select unnest(${sqlStringList(paths)}) as filename, unnest(range(${paths.length}))::INTEGER as sidecar) m
         using (filename)`,
    );
    try {
      const heads = await ctx.db.rows<{
        sidecar: number;
        part_bytes: string;
        lines: string;
        ids: string;
        parents: string;
      }>(
        `select sidecar, max(part_bytes) as part_bytes, max(lines) as lines, count(id) as ids,
                ${parents ? 'count(parent.id) filter (where id is not null)' : 'count(id)'} as parents
         from ${sc} group by sidecar`,
      );
      const good = heads.filter((h) => {
        const part = partOf.get(chunk[num(h.sidecar)] ?? '');
        return (
          part !== undefined &&
          num(h.part_bytes) === partSizes.get(part) &&
          num(h.lines) === num(h.ids) &&
          num(h.parents) === num(h.ids)
        );
      });
      if (good.length === 0) continue;
      const parts = good.map((h) => partOf.get(chunk[num(h.sidecar)]!)!);
      // each good sidecar (by its index) with the part it describes (partOf, from the layout)
      await ctx.db.conn.run(
        `insert into ${into} select sc.id, ${parents ? 'sc.parent, ' : ''}m.part from ${sc} sc
         join (select unnest([${good.map((h) => num(h.sidecar)).join(', ')}]::INTEGER[]) as sidecar,
                      unnest(${
                        parents
                          ? `[${parts.map((p) => indexOf.get(p)!).join(', ')}]::INTEGER[]`
                          : sqlStringList(parts)
                      }) as part) m
           using (sidecar)
         where sc.id is not null`,
      );
      for (const p of parts) vouched.add(p);
    } finally {
      await ctx.db.conn.run(`drop table if exists ${sc}`);
    }
  }
  return vouched;
}

/** Days of sidecars listed one by one on the local disk; more, and the table's whole prefix once. */
const DAY_LISTINGS = 64;

/**
 * The sizes of the table's sidecars that may describe `keys`. On the local disk a listing of each
 * of their days when they are few (a daily run's changed partitions), else one of the table's
 * whole prefix: a local listing walks every folder under it, and the whole prefixes of a 100k
 * daily run's checks cost 0.34 s of the event loop, for the sidecars of 24 charge days among 370.
 * On S3 always the whole prefix: a request per 1,000 sidecars, where a listing per day was a
 * request per day (402 of the 4,473 requests of a 50-day first load).
 */
async function listSidecars(
  ctx: QualityContext,
  table: TableName,
  keys: readonly string[],
): Promise<Map<string, number>> {
  const base = layout.bronzeIdsPrefix(table);
  if (ctx.store.listCost === 'pages') return sizes([await ctx.store.list(base)]);
  const days = new Set<string>();
  for (const k of keys) {
    const day = /^(.*\/dt=[^/]+\/)/.exec(layout.bronzeIds(k))?.[1];
    if (day === undefined) return sizes([await ctx.store.list(base)]);
    if (day.startsWith(base)) days.add(day);
  }
  if (days.size > DAY_LISTINGS) return sizes([await ctx.store.list(base)]);
  return sizes(await Promise.all([...days].map((d) => ctx.store.list(d))));
}

const sizes = (lists: readonly (readonly { key: string; size: number }[])[]) =>
  new Map(lists.flat().map((o) => [o.key, o.size] as const));
