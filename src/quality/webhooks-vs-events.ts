import { capped, MAX_EXAMPLES, num } from './examples.js';
import { type QualityContext, silverView } from './quality-context.js';
import type { CheckResult } from './types.js';

const E = silverView('events');
const W = silverView('webhook_events');

/**
 * `reconcile.webhooks_events` (warn): over the time both cover (event `created` from the later of
 * the two first events to the earlier of the two last), every API event of a type the webhook
 * endpoint receives was delivered, every delivered event exists in the API's list, and both agree
 * on type and object id. Only the types seen in webhooks are compared: an endpoint subscribes to
 * a subset of types, so the others are never delivered.
 */
export async function checkWebhooksVsEvents(ctx: QualityContext): Promise<CheckResult> {
  const name = 'reconcile.webhooks_events';
  const [span] = await ctx.db.rows<{
    api: string;
    hooks: string;
    from_ts: string | null;
    to_ts: string | null;
  }>(
    `select (select count(*) from ${E}) as api, (select count(*) from ${W}) as hooks,
            greatest((select min(created_ts) from ${E}), (select min(created_ts) from ${W}))::VARCHAR as from_ts,
            least((select max(created_ts) from ${E}), (select max(created_ts) from ${W}))::VARCHAR as to_ts`,
  );
  const base = { api_events: num(span?.api), webhook_events: num(span?.hooks) };
  if (!span?.from_ts || !span.to_ts || span.from_ts > span.to_ts) {
    return {
      name,
      severity: 'warn',
      passed: true,
      details: { ...base, overlap: null, note: 'no time covered by both' },
    };
  }
  const window = `created_ts between '${span.from_ts}'::TIMESTAMPTZ and '${span.to_ts}'::TIMESTAMPTZ`;
  const rel = `
    types as (select distinct type from ${W}),
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
