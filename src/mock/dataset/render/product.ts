import type { ProductPlan } from '../families/catalogue.js';
import { Kind, objectIdOf } from '../ids.js';
import type { World } from '../world.js';
import { q } from './shared.js';

/** A product at `t`: active until archived; `updated` is its last change. */
export function renderProduct(w: World, p: ProductPlan, t: number): string {
  const seed = w.seed;
  const archived = p.archivedAt !== null && t >= p.archivedAt;
  const defaultPrice = p.priceCount > 0 ? `"${objectIdOf(seed, Kind.price, p.day, p.index, 0)}"` : 'null';
  return (
    `{"id":"${objectIdOf(seed, Kind.product, p.day, p.index, 0)}","object":"product","active":${!archived},` +
    `"created":${p.created},"default_price":${defaultPrice},"description":${q(`${p.name} plan`)},"images":[],` +
    `"livemode":false,"marketing_features":[],"metadata":{},"name":${q(p.name)},"package_dimensions":null,` +
    `"shippable":null,"statement_descriptor":null,"tax_code":null,"type":"service","unit_label":null,` +
    `"updated":${archived ? p.archivedAt : p.created},"url":null}`
  );
}
