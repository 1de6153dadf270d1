import { dtOfKey } from '../storage/layout.js';
import type { ObjectInfo } from '../storage/object-store.js';
import { capped, MAX_EXAMPLES, num } from './examples.js';
import { keysView, type QualityContext, silverPartitions, silverView } from './quality-context.js';
import { changedDts } from './scope.js';
import type { CheckResult } from './types.js';

/**
 * `reconcile.webhooks_events` (warn): over the time both cover (event `created` from the later of
 * the two first events to the earlier of the two last), every API event of a type the webhook
 * endpoint receives was delivered, every delivered event exists in the API's list, and both agree
 * on type and object id. Only the types seen in webhooks are compared: an endpoint subscribes to
 * a subset of types, so the others are never delivered.
 *
 * Both tables are partitioned by the event's created date, so the span comes from each table's
 * first and last partitions and the comparison reads only the partitions of the days it covers;
 * with scope `changed`, only those of days either table wrote since the last passing run (the
 * other days agreed then, and an event never changes). The types compared come from every
 * delivery. A daily run read every event of the history here (1.1 s at 1m charges) to learn that
 * no webhook had arrived.
 */
export async function checkWebhooksVsEvents(ctx: QualityContext): Promise<CheckResult> {
  const name = 'reconcile.webhooks_events';
  const eventFiles = ctx.silver.get('events') ?? [];
  const hookFiles = ctx.silver.get('webhook_events') ?? [];
  const [sizes] = await ctx.db.rows<{ api: string; hooks: string }>(
    `select (select count(*) from ${keysView('silver.events')}) as api,
            (select count(*) from ${keysView('silver.webhook_events')}) as hooks`,
  );
  const base = { api_events: num(sizes?.api), webhook_events: num(sizes?.hooks) };
  const none = { name, severity: 'warn' as const, passed: true };
  const eventDays = partitionDays(eventFiles);
  const hookDays = partitionDays(hookFiles);
  const span =
    eventDays.length > 0 && hookDays.length > 0
      ? await overlap(ctx, [eventDays[0]!, eventDays.at(-1)!], [hookDays[0]!, hookDays.at(-1)!])
      : undefined;
  if (!span) return { ...none, details: { ...base, overlap: null, note: 'no time covered by both' } };
  const fromDay = span.from_ts.slice(0, 10);
  const toDay = span.to_ts.slice(0, 10);
  const inSpan = (d: string) => d >= fromDay && d <= toDay;
  let days = [...new Set([...eventDays, ...hookDays])].filter(inSpan).sort();
  if (ctx.since !== undefined) {
    const changed = new Set([
      ...changedDts(eventFiles, ctx.since, dtOfKey, ctx.verified),
      ...changedDts(hookFiles, ctx.since, dtOfKey, ctx.verified),
    ]);
    days = days.filter((d) => changed.has(d));
  }
  const E = await silverPartitions(ctx, 'events', days);
  const W = await silverPartitions(ctx, 'webhook_events', days);
  const window = `created_ts between '${span.from_ts}'::TIMESTAMPTZ and '${span.to_ts}'::TIMESTAMPTZ`;
  const rel = `
    -- the types the endpoint receives: from every delivery, not only the days compared
    types as (select distinct type from ${silverView('webhook_events')}),
    a as (select id, type, data_object_id, created_ts from ${E} where ${window} and type in (select type from types)),
    w as (select id, type, data_object_id, created_ts from ${W} where ${window}),
    j as (
      select coalesce(a.id, w.id) as id, coalesce(a.created_ts, w.created_ts)::VARCHAR as created_ts,
             a.type as api_type, w.type as webhook_type, a.data_object_id as api_object_id,
             w.data_object_id as webhook_object_id,
             case when w.id is null then 'not_delivered_by_webhook'
                  when a.id is null then 'not_in_api_events'
                  when a.type is distinct from w.type or a.data_object_id is distinct from w.data_object_id
                    then 'disagree' end as problem
      from a full outer join w on a.id = w.id
    )`;
  const [c] = await ctx.db.rows<Record<string, string>>(
    `with ${rel} select count(*) as compared,
       count(*) filter (where problem = 'not_delivered_by_webhook') as not_delivered_by_webhook,
       count(*) filter (where problem = 'not_in_api_events') as not_in_api_events,
       count(*) filter (where problem = 'disagree') as disagree from j`,
  );
  const counts = {
    not_delivered_by_webhook: num(c?.not_delivered_by_webhook),
    not_in_api_events: num(c?.not_in_api_events),
    disagree: num(c?.disagree),
  };
  const failing = Object.values(counts).some((n) => n > 0);
  const rows = failing
    ? await ctx.db.rows<Record<string, unknown>>(
        `with ${rel} select * from j where problem is not null
         qualify row_number() over (partition by problem order by created_ts, id) <= ${MAX_EXAMPLES}
         order by created_ts, id`,
      )
    : [];
  const list = (p: keyof typeof counts, pick: (r: Record<string, unknown>) => Record<string, unknown>) =>
    capped(rows.filter((r) => r.problem === p).map(pick), MAX_EXAMPLES, counts[p]);
  return {
    name,
    severity: 'warn',
    passed: !failing,
    details: {
      ...base,
      overlap: { from: span.from_ts, to: span.to_ts },
      partitions_checked: ctx.since === undefined ? 'all' : days,
      compared: num(c?.compared),
      not_delivered_by_webhook: list('not_delivered_by_webhook', (r) => ({
        id: r.id,
        type: r.api_type,
        created_ts: r.created_ts,
      })),
      not_in_api_events: list('not_in_api_events', (r) => ({
        id: r.id,
        type: r.webhook_type,
        created_ts: r.created_ts,
      })),
      disagree: list('disagree', (r) => ({
        id: r.id,
        api: { type: r.api_type, object_id: r.api_object_id },
        webhook: { type: r.webhook_type, object_id: r.webhook_object_id },
      })),
    },
  };
}

/** The partition days of a table's files, sorted. */
function partitionDays(objects: readonly ObjectInfo[]): string[] {
  return [...new Set(objects.map((o) => dtOfKey(o.key)).filter((d): d is string => d !== undefined))].sort();
}

/**
 * The time both tables cover, from their first and last partitions (`[first, last]` days each):
 * the later of the two first events to the earlier of the two last; undefined when they do not
 * overlap.
 */
async function overlap(
  ctx: QualityContext,
  events: readonly [string, string],
  hooks: readonly [string, string],
): Promise<{ from_ts: string; to_ts: string } | undefined> {
  const ends = async (table: 'events' | 'webhook_events', [first, last]: readonly [string, string]) =>
    `select (select min(created_ts) from ${await silverPartitions(ctx, table, [first])}) as lo,
            (select max(created_ts) from ${await silverPartitions(ctx, table, [last])}) as hi`;
  const [row] = await ctx.db.rows<{ from_ts: string | null; to_ts: string | null }>(
    `select greatest(e.lo, w.lo)::VARCHAR as from_ts, least(e.hi, w.hi)::VARCHAR as to_ts
     from (${await ends('events', events)}) e, (${await ends('webhook_events', hooks)}) w`,
  );
  if (!row?.from_ts || !row.to_ts || row.from_ts > row.to_ts) return undefined;
  return { from_ts: row.from_ts, to_ts: row.to_ts };
}
