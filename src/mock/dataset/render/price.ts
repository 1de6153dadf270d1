import type { PricePlan } from '../families/catalogue.js';
import { Kind, objectIdOf } from '../ids.js';
import type { World } from '../world.js';
import { q } from './shared.js';

/** A price's nickname: "Pro 1/month", "Pro 3/month", "Pro setup". */
export const priceNickname = (p: PricePlan): string =>
  p.interval === null ? `${p.product.name} setup` : `${p.product.name} ${p.intervalCount}/${p.interval}`;

/** A catalogue price at `t`: active until archived. */
export function renderPrice(w: World, p: PricePlan, t: number): string {
  const seed = w.seed;
  const { day, index } = p.product;
  const active = p.archivedAt === null || t < p.archivedAt;
  const recurring =
    p.interval === null
      ? 'null'
      : `{"interval":"${p.interval}","interval_count":${p.intervalCount},"meter":null,"trial_period_days":null,"usage_type":"licensed"}`;
  const nickname = priceNickname(p);
  return (
    `{"id":"${objectIdOf(seed, Kind.price, day, index, p.n)}","object":"price","active":${active},` +
    `"billing_scheme":"per_unit","created":${p.created},"currency":"${p.currency}","custom_unit_amount":null,` +
    `"livemode":false,"lookup_key":null,"metadata":{},"nickname":${q(nickname)},` +
    `"product":"${objectIdOf(seed, Kind.product, day, index, 0)}","recurring":${recurring},` +
    `"tax_behavior":"unspecified","tiers_mode":null,"transform_quantity":null,` +
    `"type":"${p.interval === null ? 'one_time' : 'recurring'}","unit_amount":${p.unitAmount},` +
    `"unit_amount_decimal":"${p.unitAmount}"}`
  );
}
