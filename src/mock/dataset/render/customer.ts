import type { CustomerPlan } from '../families/customer.js';
import type { World } from '../world.js';
import { COUNTRY, chars, customerIdJson, FIRST, LAST, q } from './shared.js';

const NULL_ADDRESS = '{"city":null,"country":null,"line1":null,"line2":null,"postal_code":null,"state":null}';

/** The fields of a customer at `t` that invoices copy too, as JSON texts. */
export function customerParts(c: CustomerPlan, t: number): { address: string; email: string; name: string } {
  const first = FIRST[c.nameSeed % FIRST.length]!;
  const last = LAST[Math.floor(c.nameSeed / 16) % LAST.length]!;
  const updated = c.updatedAt !== null && t >= c.updatedAt;
  const tag = c.nameSeed % 1000;
  return {
    address: updated
      ? `{"city":"Springfield","country":"${COUNTRY[c.currency] ?? 'US'}","line1":"${tag} Main St","line2":null,"postal_code":"${10000 + tag}","state":null}`
      : NULL_ADDRESS,
    email: q(`${first}.${last}${tag}@example.${updated ? 'org' : 'com'}`.toLowerCase()),
    name: q(`${first} ${last}`),
  };
}

/** The invoice number prefix of a customer (`ABCD1234`). */
export const invoicePrefix = (w: World, c: CustomerPlan): string =>
  chars(w.seed, c.nameSeed, 2, 8).toUpperCase();

/** A customer as it is at `t` (updated once maybe; a deletion is the caller's to show). */
export function renderCustomer(w: World, c: CustomerPlan, t: number): string {
  const updated = c.updatedAt !== null && t >= c.updatedAt;
  const tag = c.nameSeed % 1000;
  const { address, email, name } = customerParts(c, t);
  return (
    `{"id":${customerIdJson(w.seed, c)},"object":"customer","address":${address},"balance":0,` +
    `"created":${c.created},"currency":"${c.currency}","default_source":null,"delinquent":false,` +
    `"description":null,"discount":null,"email":${email},` +
    `"invoice_prefix":"${invoicePrefix(w, c)}",` +
    `"invoice_settings":{"custom_fields":null,"default_payment_method":null,"footer":null,"rendering_options":null},` +
    `"livemode":false,"metadata":${updated ? '{"tier":"gold"}' : '{}'},"name":${name},` +
    `"next_invoice_sequence":1,"phone":${updated ? `"+1555${String(1000000 + tag).slice(1)}"` : 'null'},` +
    `"preferred_locales":[],"shipping":null,"tax_exempt":"none","test_clock":null}`
  );
}

/** A deleted customer as Stripe shows it (`retrieve`, lists of truth). */
export const deletedCustomerJson = (id: string): string =>
  `{"id":"${id}","object":"customer","deleted":true}`;
