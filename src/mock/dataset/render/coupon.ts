import type { CouponPlan } from '../families/catalogue.js';
import { Kind, objectIdOf } from '../ids.js';
import type { World } from '../world.js';
import { q } from './shared.js';

/** A coupon's display name at `t` (renamed once for some, the `coupon.updated` change). */
export function couponName(c: CouponPlan, t: number): string {
  const off =
    c.percentOff !== null ? `${c.percentOff}% off` : `${c.amountOff! / 100} ${c.currency!.toUpperCase()} off`;
  return c.updatedAt !== null && t >= c.updatedAt ? `${off} (legacy)` : off;
}

/** A coupon at `t`. */
export function renderCoupon(w: World, c: CouponPlan, t: number): string {
  const n = (x: number | null): string => (x === null ? 'null' : String(x));
  return (
    `{"id":"${objectIdOf(w.seed, Kind.coupon, c.day, c.index, 0)}","object":"coupon","amount_off":${n(c.amountOff)},` +
    `"created":${c.created},"currency":${c.currency === null ? 'null' : `"${c.currency}"`},` +
    `"duration":"${c.duration}","duration_in_months":${n(c.durationInMonths)},"livemode":false,` +
    `"max_redemptions":null,"metadata":{},"name":${q(couponName(c, t))},"percent_off":${n(c.percentOff)},` +
    `"redeem_by":null,"times_redeemed":0,"valid":true}`
  );
}
