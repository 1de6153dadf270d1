import { invoicePlan } from '../../src/mock/dataset/families/billing.js';
import {
  type CouponPlan,
  couponPlan,
  type PricePlan,
  type ProductPlan,
  pricePlan,
  productPlan,
} from '../../src/mock/dataset/families/catalogue.js';
import { type ChargePlan, chargePlanOf, stripeFee } from '../../src/mock/dataset/families/charge.js';
import { type CustomerPlan, customerPlan } from '../../src/mock/dataset/families/customer.js';
import type { PayoutPlan } from '../../src/mock/dataset/families/payout.js';
import {
  GEN_CYCLES,
  type ItemState,
  invoicesBy,
  itemPrice,
  periodStart,
  periodState,
  RETRY_CODE,
  type SubscriptionPlan,
  subscriptionPlan,
  voidedAtEnd,
} from '../../src/mock/dataset/families/subscription.js';
import { eventId, Kind, memberId, type ObjectRef, objectId } from '../../src/mock/dataset/ids.js';
import { EVIDENCE_FIELDS } from '../../src/mock/dataset/render/dispute.js';
import { BRANDS, COUNTRY, chars, FIRST, LAST, LAST4 } from '../../src/mock/dataset/render/shared.js';
import { type Described, describe } from '../../src/mock/dataset/timeline.js';
import { eventType } from '../../src/mock/dataset/versions.js';
import { AVAILABLE_AFTER, DAY, FINALIZE_AFTER, type World } from '../../src/mock/dataset/world.js';

/**
 * The mock's reference object builders, kept with the tests as the oracle of
 * `src/mock/dataset/render/render.test.ts`: a Stripe-shaped JSON object for any ref at any time,
 * with the same top-level fields and JSON types as Stripe's example objects (`fixtures3.json`),
 * written as readable JS objects. The server sends the renderers' JSON text, which that test
 * holds byte-equal to `JSON.stringify` of these objects.
 */

export type Json = Record<string, unknown>;

interface BalanceFields {
  amount: number;
  fee: number;
  created: number;
  source: string;
  type: string;
  category: string;
  description: string;
}

const nullAddress = (): Json => ({
  city: null,
  country: null,
  line1: null,
  line2: null,
  postal_code: null,
  state: null,
});
const list = (url: string, data: unknown[]): Json => ({ object: 'list', data, has_more: false, url });
/** A child list as its parent embeds it: the first 10, with `has_more` and `total_count`. */
const childList = (url: string, data: unknown[]): Json => ({
  object: 'list',
  data: data.slice(0, 10),
  has_more: data.length > 10,
  total_count: data.length,
  url,
});
/** Builds objects of one world; `id(ref)` is the only way ids are made. */
export class ObjectFactory {
  constructor(readonly w: World) {}

  id(ref: ObjectRef): string {
    return objectId(this.w.seed, ref);
  }

  /**
   * The event of version `v` of `ref` (created at `t`): `data.object` as of the event and, on a
   * change that is not a deletion, `previous_attributes`. `apiVersion` is the mock's.
   */
  event(ref: ObjectRef, v: number, t: number, apiVersion: string): Json {
    const d = describe(this.w, ref, t)!;
    const version = d.versions[v]!;
    const object = this.build(d, v);
    const data: Json = { object };
    const type = eventType(version.type);
    if (v > 0 && !type.endsWith('.deleted')) {
      data['previous_attributes'] = previousAttributes(this.build(d, v - 1), object);
    }
    return {
      id: eventId(this.w.seed, ref, v),
      object: 'event',
      api_version: apiVersion,
      created: version.t,
      data,
      livemode: false,
      pending_webhooks: 0,
      request: { id: null, idempotency_key: null },
      type,
    };
  }

  /** The object of version `v` of a described object (what that version's event carries). */
  build(d: Described, v: number, showDeleted = false): Json {
    const version = d.versions[v]!;
    const tv = version.t;
    const ref = d.ref;
    switch (ref.kind) {
      case Kind.customer: {
        const c = customerPlan(this.w, ref.day, ref.index)!;
        if (showDeleted && eventType(version.type) === 'customer.deleted')
          return { id: this.id(ref), object: 'customer', deleted: true };
        return this.customer(c, tv);
      }
      case Kind.product:
      case Kind.price:
      case Kind.coupon: {
        const type = eventType(version.type);
        if (showDeleted && type.endsWith('.deleted'))
          return { id: this.id(ref), object: type.slice(0, -'.deleted'.length), deleted: true };
        if (ref.kind === Kind.product)
          return this.catalogueProduct(productPlan(this.w, ref.day, ref.index)!, tv);
        if (ref.kind === Kind.price)
          return this.cataloguePrice(pricePlan(this.w, ref.day, ref.index, ref.sub)!, tv);
        return this.catalogueCoupon(couponPlan(this.w, ref.day, ref.index)!, tv);
      }
      case Kind.payout:
        return this.payout(d.plan as PayoutPlan, tv);
      case Kind.btPayout:
      case Kind.btPayoutFailure:
        return this.payoutBalanceTransaction(ref.kind === Kind.btPayoutFailure, d.plan as PayoutPlan);
      case Kind.subscription:
        return this.subscription(subscriptionPlan(this.w, ref.day, ref.index, ref.sub)!, tv);
      case Kind.invoice: {
        const code = ref.sub / 4;
        const s = subscriptionPlan(this.w, ref.day, ref.index, Math.floor(code / GEN_CYCLES))!;
        return this.invoice(s, code % GEN_CYCLES, tv);
      }
      default: {
        const p = chargePlanOf(this.w, ref)!;
        switch (ref.kind) {
          case Kind.chargeOneOff:
          case Kind.chargeInvoice:
            return this.charge(p, tv);
          case Kind.piOneOff:
          case Kind.piInvoice:
            return this.paymentIntent(p, tv);
          case Kind.refundOneOff:
          case Kind.refundInvoice:
            return this.refund(p, ref.sub % 4);
          case Kind.disputeOneOff:
          case Kind.disputeInvoice:
            return this.dispute(p, tv);
          default:
            return this.balanceTransaction(ref, p, tv);
        }
      }
    }
  }

  // --- the catalogue ---------------------------------------------------------------------------

  productId = (p: ProductPlan): string => this.id({ kind: Kind.product, day: p.day, index: p.index, sub: 0 });
  priceId = (p: ProductPlan, n: number): string =>
    this.id({ kind: Kind.price, day: p.day, index: p.index, sub: n });

  private catalogueProduct(p: ProductPlan, t: number): Json {
    const archived = p.archivedAt !== null && t >= p.archivedAt;
    return {
      id: this.productId(p),
      object: 'product',
      active: !archived,
      created: p.created,
      default_price: p.priceCount > 0 ? this.priceId(p, 0) : null,
      description: `${p.name} plan`,
      images: [],
      livemode: false,
      marketing_features: [],
      metadata: {},
      name: p.name,
      package_dimensions: null,
      shippable: null,
      statement_descriptor: null,
      tax_code: null,
      type: 'service',
      unit_label: null,
      updated: archived ? p.archivedAt : p.created,
      url: null,
    };
  }

  private cataloguePrice(p: PricePlan, t: number): Json {
    const oneOff = p.interval === null;
    return {
      id: this.priceId(p.product, p.n),
      object: 'price',
      active: p.archivedAt === null || t < p.archivedAt,
      billing_scheme: 'per_unit',
      created: p.created,
      currency: p.currency,
      custom_unit_amount: null,
      livemode: false,
      lookup_key: null,
      metadata: {},
      nickname: oneOff ? `${p.product.name} setup` : `${p.product.name} ${p.intervalCount}/${p.interval}`,
      product: this.productId(p.product),
      recurring: oneOff
        ? null
        : {
            interval: p.interval,
            interval_count: p.intervalCount,
            meter: null,
            trial_period_days: null,
            usage_type: 'licensed',
          },
      tax_behavior: 'unspecified',
      tiers_mode: null,
      transform_quantity: null,
      type: oneOff ? 'one_time' : 'recurring',
      unit_amount: p.unitAmount,
      unit_amount_decimal: String(p.unitAmount),
    };
  }

  private catalogueCoupon(c: CouponPlan, t: number): Json {
    const off =
      c.percentOff !== null
        ? `${c.percentOff}% off`
        : `${(c.amountOff ?? 0) / 100} ${String(c.currency).toUpperCase()} off`;
    return {
      id: this.id({ kind: Kind.coupon, day: c.day, index: c.index, sub: 0 }),
      object: 'coupon',
      amount_off: c.amountOff,
      created: c.created,
      currency: c.currency,
      duration: c.duration,
      duration_in_months: c.durationInMonths,
      livemode: false,
      max_redemptions: null,
      metadata: {},
      name: c.updatedAt !== null && t >= c.updatedAt ? `${off} (legacy)` : off,
      percent_off: c.percentOff,
      redeem_by: null,
      times_redeemed: 0,
      valid: true,
    };
  }

  // --- payouts -----------------------------------------------------------------------------------

  private payoutRef = (p: PayoutPlan, kind: number): ObjectRef => ({ kind, day: p.day, index: p.c, sub: 0 });

  private payout(p: PayoutPlan, t: number): Json {
    let status = 'pending';
    if (t >= p.inTransitAt) status = 'in_transit';
    if (t >= p.arrivalDate) status = p.failure ? 'failed' : 'paid';
    const failed = status === 'failed';
    return {
      id: this.id(this.payoutRef(p, Kind.payout)),
      object: 'payout',
      amount: p.amount,
      application_fee: null,
      application_fee_amount: null,
      arrival_date: p.arrivalDate,
      automatic: true,
      balance_transaction: this.id(this.payoutRef(p, Kind.btPayout)),
      created: p.created,
      currency: p.currency,
      description: 'STRIPE PAYOUT',
      destination: `ba_${chars(this.w.seed, 11, p.c, 24)}`,
      failure_balance_transaction: failed ? this.id(this.payoutRef(p, Kind.btPayoutFailure)) : null,
      failure_code: failed ? p.failure![0] : null,
      failure_message: failed ? p.failure![1] : null,
      livemode: false,
      metadata: {},
      method: 'standard',
      original_payout: null,
      payout_method: null,
      reconciliation_status: status === 'paid' ? 'completed' : 'in_progress',
      reversed_by: null,
      source_type: 'card',
      statement_descriptor: null,
      status,
      trace_id: { status: status === 'paid' ? 'supported' : 'pending', value: null },
      type: 'bank_account',
    };
  }

  private payoutBalanceTransaction(failure: boolean, p: PayoutPlan): Json {
    const amount = failure ? p.amount : -p.amount;
    const created = failure ? p.arrivalDate : p.created;
    return {
      id: this.id(this.payoutRef(p, failure ? Kind.btPayoutFailure : Kind.btPayout)),
      object: 'balance_transaction',
      amount,
      available_on: created,
      balance_type: 'payments',
      created,
      currency: p.currency,
      description: failure ? 'Payout failure' : 'STRIPE PAYOUT',
      exchange_rate: null,
      fee: 0,
      fee_details: [],
      net: amount,
      reporting_category: failure ? 'payout_reversal' : 'payout',
      source: this.id(this.payoutRef(p, Kind.payout)),
      status: 'available',
      type: failure ? 'payout_failure' : 'payout',
    };
  }

  // --- refs of a charge family --------------------------------------------------------------

  private famRef(p: ChargePlan, oneOff: number, invoice: number, n = 0): ObjectRef {
    return { kind: p.family ? invoice : oneOff, day: p.day, index: p.index, sub: p.cycle * 4 + n };
  }
  chargeId = (p: ChargePlan): string => this.id(this.famRef(p, Kind.chargeOneOff, Kind.chargeInvoice));
  piId = (p: ChargePlan): string => this.id(this.famRef(p, Kind.piOneOff, Kind.piInvoice));
  customerId = (c: CustomerPlan | null): string | null =>
    c ? this.id({ kind: Kind.customer, day: c.day, index: c.index, sub: 0 }) : null;
  subscriptionId = (s: SubscriptionPlan): string =>
    this.id({ kind: Kind.subscription, day: s.customer.day, index: s.customer.index, sub: s.gen });
  invoiceId = (s: SubscriptionPlan, k: number): string =>
    this.id({
      kind: Kind.invoice,
      day: s.customer.day,
      index: s.customer.index,
      sub: (s.gen * GEN_CYCLES + k) * 4,
    });

  private pmId(p: ChargePlan): string {
    return `pm_${chars(this.w.seed, p.cardSeed, 1, 24)}`;
  }

  // --- customers ---------------------------------------------------------------------------

  customer(c: CustomerPlan, t: number): Json {
    const first = FIRST[c.nameSeed % FIRST.length]!;
    const last = LAST[Math.floor(c.nameSeed / 16) % LAST.length]!;
    const updated = c.updatedAt !== null && t >= c.updatedAt;
    const tag = c.nameSeed % 1000;
    return {
      id: this.customerId(c),
      object: 'customer',
      address: updated
        ? {
            city: 'Springfield',
            country: COUNTRY[c.currency] ?? 'US',
            line1: `${tag} Main St`,
            line2: null,
            postal_code: `${10000 + tag}`,
            state: null,
          }
        : nullAddress(),
      balance: 0,
      created: c.created,
      currency: c.currency,
      default_source: null,
      delinquent: false,
      description: null,
      discount: null,
      email: `${first}.${last}${tag}@example.${updated ? 'org' : 'com'}`.toLowerCase(),
      invoice_prefix: chars(this.w.seed, c.nameSeed, 2, 8).toUpperCase(),
      invoice_settings: {
        custom_fields: null,
        default_payment_method: null,
        footer: null,
        rendering_options: null,
      },
      livemode: false,
      metadata: updated ? { tier: 'gold' } : {},
      name: `${first} ${last}`,
      next_invoice_sequence: 1,
      phone: updated ? `+1555${String(1000000 + tag).slice(1)}` : null,
      preferred_locales: [],
      shipping: null,
      tax_exempt: 'none',
      test_clock: null,
    };
  }

  // --- payments ------------------------------------------------------------------------------

  private card(p: ChargePlan): Json {
    const h = p.cardSeed;
    const brand = BRANDS[h % BRANDS.length]!;
    return {
      amount_authorized: p.failure ? null : p.amount,
      authorization_code: p.failure ? null : String(100000 + (h % 900000)),
      brand,
      checks: { address_line1_check: null, address_postal_code_check: 'pass', cvc_check: 'pass' },
      country: COUNTRY[p.currency] ?? 'US',
      exp_month: 1 + (h % 12),
      exp_year: 2027 + (h % 6),
      extended_authorization: { status: 'disabled' },
      fingerprint: chars(this.w.seed, h, 3, 16),
      funding: h % 5 === 0 ? 'debit' : 'credit',
      incremental_authorization: { status: 'unavailable' },
      installments: null,
      last4: LAST4[Math.floor(h / 7) % LAST4.length]!,
      mandate: null,
      multicapture: { status: 'unavailable' },
      network: brand,
      network_token: { used: false },
      network_transaction_id: String(h),
      overcapture: { maximum_amount_capturable: p.amount, status: 'unavailable' },
      regulated_status: 'unregulated',
      three_d_secure: null,
      transaction_link_id: null,
      wallet: null,
    };
  }

  paymentIntent(p: ChargePlan, t: number): Json {
    const charged = t >= p.created;
    const id = this.piId(p);
    const status = !charged ? 'requires_confirmation' : p.failure ? 'requires_payment_method' : 'succeeded';
    const s = p.family === 1;
    return {
      id,
      object: 'payment_intent',
      amount: p.amount,
      amount_capturable: 0,
      amount_details: { tip: {} },
      amount_received: status === 'succeeded' ? p.amount : 0,
      application: null,
      application_fee_amount: null,
      automatic_payment_methods: { enabled: true },
      canceled_at: null,
      cancellation_reason: null,
      capture_method: 'automatic',
      client_secret: `${id}_secret_${chars(this.w.seed, p.cardSeed, 4, 25)}`,
      confirmation_method: 'automatic',
      created: p.piCreated,
      currency: p.currency,
      customer: this.customerId(p.customer),
      description: s ? 'Subscription update' : null,
      excluded_payment_method_types: null,
      last_payment_error:
        charged && p.failure
          ? {
              type: 'card_error',
              code: p.failure[0],
              decline_code: p.failure[0] === 'card_declined' ? 'generic_decline' : p.failure[0],
              message: p.failure[1],
              charge: this.chargeId(p),
            }
          : null,
      latest_charge: charged ? this.chargeId(p) : null,
      livemode: false,
      metadata: {},
      next_action: null,
      on_behalf_of: null,
      payment_method: this.pmId(p),
      payment_method_configuration_details: null,
      payment_method_options: {
        card: {
          installments: null,
          mandate_options: null,
          network: null,
          request_three_d_secure: 'automatic',
        },
      },
      payment_method_types: ['card'],
      processing: null,
      receipt_email: null,
      review: null,
      setup_future_usage: s ? 'off_session' : null,
      shipping: null,
      source: null,
      statement_descriptor: null,
      statement_descriptor_suffix: null,
      status,
      transfer_data: null,
      transfer_group: null,
      customer_account: null,
      managed_payments: { enabled: false },
    };
  }

  charge(p: ChargePlan, t: number): Json {
    const id = this.chargeId(p);
    const refunds = p.refunds.map((_, n) => n).filter((n) => p.refunds[n]!.created <= t);
    const refunded = refunds.reduce((sum, n) => sum + p.refunds[n]!.amount, 0);
    const failed = p.failure !== null;
    const cust = p.customer;
    const first = cust ? FIRST[cust.nameSeed % FIRST.length]! : 'Guest';
    const last = cust ? LAST[Math.floor(cust.nameSeed / 16) % LAST.length]! : 'Buyer';
    const card = this.card(p);
    return {
      id,
      object: 'charge',
      amount: p.amount,
      amount_captured: failed ? 0 : p.amount,
      amount_refunded: refunded,
      application: null,
      application_fee: null,
      application_fee_amount: null,
      balance_transaction: failed ? null : this.id(this.famRef(p, Kind.btChargeOneOff, Kind.btChargeInvoice)),
      billing_details: {
        address: { ...nullAddress(), country: card.country, postal_code: `${10000 + (p.cardSeed % 89999)}` },
        email: null,
        name: `${first} ${last}`,
        phone: null,
        tax_id: null,
      },
      calculated_statement_descriptor: 'PAYMENTS MOCK',
      captured: !failed,
      created: p.created,
      currency: p.currency,
      customer: this.customerId(cust),
      description: p.family === 1 ? 'Subscription update' : `Order #${p.day}-${p.index}`,
      disputed: p.dispute !== null && t >= p.dispute.created,
      failure_balance_transaction: null,
      failure_code: p.failure ? p.failure[0] : null,
      failure_message: p.failure ? p.failure[1] : null,
      fraud_details: {},
      livemode: false,
      metadata: p.family === 1 ? {} : { order_id: `${p.day}-${p.index}` },
      on_behalf_of: null,
      outcome: {
        advice_code: null,
        network_advice_code: null,
        network_decline_code: null,
        network_status: failed ? 'declined_by_network' : 'approved_by_network',
        reason: failed ? (p.failure![0] === 'card_declined' ? 'generic_decline' : p.failure![0]) : null,
        risk_level: 'normal',
        risk_score: p.cardSeed % 65,
        seller_message: failed
          ? 'The bank did not return any further details with this decline.'
          : 'Payment complete.',
        type: failed ? 'issuer_declined' : 'authorized',
      },
      paid: !failed,
      payment_intent: this.piId(p),
      payment_method: this.pmId(p),
      payment_method_details: { card, type: 'card' },
      receipt_email: null,
      receipt_number: null,
      receipt_url: `https://pay.stripe.com/receipts/payment/${chars(this.w.seed, p.cardSeed, 5, 40)}`,
      refunded: refunded >= p.amount,
      refunds: list(
        `/v1/charges/${id}/refunds`,
        refunds.reverse().map((n) => this.refund(p, n)),
      ),
      review: null,
      shipping: null,
      source: null,
      source_transfer: null,
      statement_descriptor: null,
      statement_descriptor_suffix: null,
      status: failed ? 'failed' : 'succeeded',
      transfer_data: null,
      transfer_group: null,
    };
  }

  refund(p: ChargePlan, n: number): Json {
    const r = p.refunds[n]!;
    return {
      id: this.id(this.famRef(p, Kind.refundOneOff, Kind.refundInvoice, n)),
      object: 'refund',
      amount: r.amount,
      balance_transaction: this.id(this.famRef(p, Kind.btRefundOneOff, Kind.btRefundInvoice, n)),
      charge: this.chargeId(p),
      created: r.created,
      currency: p.currency,
      customer: this.customerId(p.customer),
      customer_account: null,
      destination_details: {
        card: {
          reference: String(p.cardSeed + n),
          reference_status: 'available',
          reference_type: 'acquirer_reference_number',
          type: 'refund',
        },
        type: 'card',
      },
      metadata: {},
      payment_intent: this.piId(p),
      payment_method: this.pmId(p),
      reason: r.amount === p.amount ? 'requested_by_customer' : null,
      receipt_number: null,
      source_transfer_reversal: null,
      status: 'succeeded',
      transfer_reversal: null,
    };
  }

  dispute(p: ChargePlan, t: number): Json {
    const dp = p.dispute!;
    const closed = t >= dp.closedAt;
    const bts = [
      this.balanceTransaction(this.famRef(p, Kind.btDisputeOneOff, Kind.btDisputeInvoice, 0), p, t),
    ];
    if (closed && dp.won)
      bts.push(this.balanceTransaction(this.famRef(p, Kind.btDisputeOneOff, Kind.btDisputeInvoice, 1), p, t));
    const evidence: Json = {};
    for (const k of EVIDENCE_FIELDS) evidence[k] = null;
    evidence['enhanced_evidence'] = {};
    return {
      id: this.id(this.famRef(p, Kind.disputeOneOff, Kind.disputeInvoice)),
      object: 'dispute',
      amount: p.amount,
      balance_transactions: bts,
      charge: this.chargeId(p),
      created: dp.created,
      currency: p.currency,
      enhanced_eligibility_types: [],
      evidence,
      evidence_details: {
        due_by: dp.created + 7 * DAY,
        enhanced_eligibility: {},
        has_evidence: false,
        past_due: false,
        submission_count: 0,
      },
      is_charge_refundable: false,
      livemode: false,
      metadata: {},
      payment_intent: this.piId(p),
      payment_method_details: {
        card: {
          brand: BRANDS[p.cardSeed % BRANDS.length]!,
          case_type: 'chargeback',
          network_reason_code: '10.4',
        },
        type: 'card',
      },
      reason: dp.reason,
      status: closed ? (dp.won ? 'won' : 'lost') : 'needs_response',
    };
  }

  private chargeTransaction(p: ChargePlan): BalanceFields {
    return {
      amount: p.amount,
      fee: stripeFee(p.amount),
      created: p.created,
      source: this.chargeId(p),
      type: 'charge',
      category: 'charge',
      description: p.family === 1 ? 'Subscription update' : `Order #${p.day}-${p.index}`,
    };
  }

  private refundTransaction(p: ChargePlan, n: number): BalanceFields {
    const refund = p.refunds[n]!;
    return {
      amount: -refund.amount,
      fee: 0,
      created: refund.created,
      source: this.id(this.famRef(p, Kind.refundOneOff, Kind.refundInvoice, n)),
      type: 'refund',
      category: 'refund',
      description: 'REFUND FOR CHARGE',
    };
  }

  /** The withdrawal of a dispute, or its reinstatement when `won`. */
  private disputeTransaction(p: ChargePlan, won: boolean): BalanceFields {
    const dispute = p.dispute!;
    return {
      amount: won ? p.amount : -p.amount,
      fee: won ? 0 : 1500,
      created: won ? dispute.closedAt : dispute.created,
      source: this.id(this.famRef(p, Kind.disputeOneOff, Kind.disputeInvoice)),
      type: 'adjustment',
      category: won ? 'dispute_reversal' : 'dispute',
      description: `Chargeback ${won ? 'reversal' : 'withdrawal'} for ${this.chargeId(p)}`,
    };
  }

  /**
   * A balance transaction; `asOf` only decides pending/available. Embedded in a dispute it is
   * built at the dispute's version time so the dispute never changes without an event.
   */
  balanceTransaction(ref: ObjectRef, p: ChargePlan, asOf: number): Json {
    const kind = (ref.kind - Kind.btChargeOneOff) % 3; // 0 charge, 1 refund, 2 dispute
    const { amount, fee, created, source, type, category, description } =
      kind === 0
        ? this.chargeTransaction(p)
        : kind === 1
          ? this.refundTransaction(p, ref.sub % 4)
          : this.disputeTransaction(p, ref.sub % 4 === 1);
    const availableOn = created + AVAILABLE_AFTER;
    return {
      id: this.id(ref),
      object: 'balance_transaction',
      amount,
      available_on: availableOn,
      balance_type: 'payments',
      created,
      currency: p.currency,
      description,
      exchange_rate: null,
      fee,
      fee_details:
        fee === 0
          ? []
          : [
              {
                amount: fee,
                application: null,
                currency: p.currency,
                description: kind === 2 ? 'Dispute fee' : 'Stripe processing fees',
                type: 'stripe_fee',
              },
            ],
      net: amount - fee,
      reporting_category: category,
      source,
      status: asOf >= availableOn ? 'available' : 'pending',
      type,
    };
  }

  // --- billing -------------------------------------------------------------------------------

  /** Ids of a subscription's items, lines, invoice items, payments and discount (seeded filler). */
  private itemId = (s: SubscriptionPlan, slot: number): string =>
    memberId('si_', this.w.seed, s.customer.day, s.customer.index, 2_000_000 + s.gen * 4096 + slot, 14);
  private discountId = (s: SubscriptionPlan): string =>
    memberId('di_', this.w.seed, s.customer.day, s.customer.index, 5_000_000 + s.gen, 24);

  /** The items of period k at `t`: the period's start state, with its change once made. */
  private itemsAt(s: SubscriptionPlan, k: number, t: number): ItemState[] {
    const ps = periodState(this.w, s, k);
    let items = [...ps.items];
    const ch = ps.change;
    if (ch && ch.at <= t) {
      const changed = new Map(ch.parts.map((p) => [(p.before ?? p.after)!.slot, p.after]));
      items = items.filter((i) => !changed.has(i.slot));
      for (const after of changed.values()) if (after) items.push(after);
      items.sort((x, y) => x.slot - y.slot);
    }
    return items;
  }

  private subscriptionItem(s: SubscriptionPlan, it: ItemState, start: number, end: number, t: number): Json {
    const p = itemPrice(this.w, s, it);
    const price = this.cataloguePrice(p, t);
    return {
      id: this.itemId(s, it.slot),
      object: 'subscription_item',
      billing_thresholds: null,
      created: it.created,
      current_period_end: end,
      current_period_start: start,
      discounts: [],
      metadata: {},
      plan: {
        id: price['id'],
        object: 'plan',
        active: true,
        amount: p.unitAmount,
        amount_decimal: String(p.unitAmount),
        billing_scheme: 'per_unit',
        created: p.created,
        currency: p.currency,
        interval: p.interval,
        interval_count: p.intervalCount,
        livemode: false,
        metadata: {},
        meter: null,
        nickname: price['nickname'],
        product: price['product'],
        tiers_mode: null,
        transform_usage: null,
        trial_period_days: null,
        usage_type: 'licensed',
      },
      price,
      quantity: it.quantity,
      subscription: this.subscriptionId(s),
      tax_rates: [],
    };
  }

  /** Every item of a subscription at `t` (what `/v1/subscription_items?subscription=` lists). */
  subscriptionItems(s: SubscriptionPlan, t: number): Json[] {
    const k = Math.max(1, invoicesBy(s, t)) - 1;
    const start = periodStart(s, k);
    const end = periodStart(s, k + 1);
    return this.itemsAt(s, k, t).map((it) => this.subscriptionItem(s, it, start, end, t));
  }

  subscription(s: SubscriptionPlan, t: number): Json {
    const id = this.subscriptionId(s);
    const k = Math.max(1, invoicesBy(s, t)) - 1; // current period's invoice
    const inv = invoicePlan(this.w, s, k);
    const canceled = s.canceledAt !== null && t >= s.canceledAt;
    const requested = s.cancelRequestedAt !== null && t >= s.cancelRequestedAt;
    const trial = s.trialEnd !== null;
    const pastDue = inv.failedAt !== null && t >= inv.failedAt && (inv.paidAt === null || t < inv.paidAt);
    const status = canceled
      ? 'canceled'
      : trial && t < s.trialEnd!
        ? 'trialing'
        : pastDue
          ? 'past_due'
          : 'active';
    const fb = trial ? 1 : 0;
    const discountUntil =
      s.couponPeriods === Number.POSITIVE_INFINITY
        ? Number.POSITIVE_INFINITY
        : periodStart(s, fb + s.couponPeriods);
    const discounted = s.coupon !== null && Math.min(t, s.canceledAt ?? t) < discountUntil;
    const c = s.customer;
    const items = this.subscriptionItems(s, t);
    return {
      id,
      object: 'subscription',
      application: null,
      application_fee_percent: null,
      automatic_tax: { disabled_reason: null, enabled: false, liability: null },
      billing_cycle_anchor: s.trialEnd ?? s.created,
      billing_cycle_anchor_config: null,
      billing_mode: { type: 'classic' },
      billing_schedules: [],
      billing_thresholds: null,
      cancel_at: requested ? s.canceledAt : null,
      cancel_at_period_end: requested,
      canceled_at: requested ? s.cancelRequestedAt : canceled ? s.canceledAt : null,
      cancellation_details: {
        comment: null,
        feedback: null,
        reason:
          (requested || canceled) && s.end !== 'lapse'
            ? s.end === 'past_due'
              ? 'payment_failed'
              : 'cancellation_requested'
            : null,
      },
      collection_method: 'charge_automatically',
      created: s.created,
      currency: c.currency,
      customer: this.customerId(c),
      customer_account: null,
      days_until_due: null,
      default_payment_method: s.end === 'lapse' ? null : `pm_${chars(this.w.seed, c.nameSeed, 8, 24)}`,
      default_source: null,
      default_tax_rates: [],
      description: null,
      discounts: discounted ? [this.discountId(s)] : [],
      ended_at: canceled ? s.canceledAt : null,
      invoice_settings: { account_tax_ids: null, issuer: { type: 'self' } },
      items: childList(`/v1/subscription_items?subscription=${id}`, items),
      latest_invoice: this.invoiceId(s, k),
      livemode: false,
      managed_payments: { enabled: false },
      metadata: {},
      next_pending_invoice_item_invoice: null,
      on_behalf_of: null,
      pause_collection: null,
      payment_settings: {
        payment_method_options: null,
        payment_method_types: null,
        save_default_payment_method: 'off',
      },
      pending_invoice_item_interval: null,
      pending_setup_intent: null,
      pending_update: null,
      schedule: null,
      start_date: s.created,
      status,
      test_clock: null,
      transfer_data: null,
      trial_end: trial ? s.trialEnd : null,
      trial_settings: { end_behavior: { missing_payment_method: trial ? 'cancel' : 'create_invoice' } },
      trial_start: trial ? s.created : null,
    };
  }

  /** Every line of invoice k (what `/v1/invoices/<id>/lines` lists). */
  invoiceLines(s: SubscriptionPlan, k: number): Json[] {
    const inv = invoicePlan(this.w, s, k);
    const c = s.customer;
    const seed = this.w.seed;
    const id = this.invoiceId(s, k);
    const subId = this.subscriptionId(s);
    const every = ['month', '3 months', 'year'][s.interval]!;
    return inv.lines.map((l, n) => {
      const code = s.gen * GEN_CYCLES + k;
      const name = l.price.product.name;
      const q = l.item.quantity;
      const after = new Date(l.start * 1000).toISOString().slice(0, 10);
      const prorated = l.proration !== null;
      const di = this.discountId(s);
      return {
        id: memberId('il_', seed, c.day, c.index, 1_000_000 + code * 64 + n, 24),
        object: 'line_item',
        amount: l.amount,
        currency: c.currency,
        description: l.trial
          ? `Trial period for ${name}`
          : l.proration === 'credit'
            ? `Unused time on ${q} × ${name} after ${after}`
            : l.proration === 'charge'
              ? `Remaining time on ${q} × ${name} after ${after}`
              : `${q} × ${name} (at ${(l.price.unitAmount / 100).toFixed(2)} / ${every})`,
        discount_amounts: l.discount > 0 ? [{ amount: l.discount, discount: di }] : [],
        discountable: l.discount > 0 || !prorated,
        discounts: l.discount > 0 ? [di] : [],
        invoice: id,
        livemode: false,
        metadata: {},
        parent: {
          invoice_item_details: null,
          subscription_item_details: {
            invoice_item: prorated
              ? memberId('ii_', seed, c.day, c.index, 6_000_000 + code * 64 + n, 24)
              : null,
            proration: prorated,
            proration_details: { credited_items: null },
            subscription: subId,
            subscription_item: this.itemId(s, l.item.slot),
          },
          type: 'subscription_item_details',
        },
        period: { end: l.end, start: l.start },
        pretax_credit_amounts: [],
        pricing: {
          price_details: {
            price: this.priceId(l.price.product, l.price.n),
            product: this.productId(l.price.product),
          },
          type: 'price_details',
          unit_amount_decimal: String(l.price.unitAmount),
        },
        quantity: q,
        quantity_decimal: String(q),
        subscription: subId,
        subtotal: l.amount,
        taxes: [],
      };
    });
  }

  invoice(s: SubscriptionPlan, k: number, t: number): Json {
    const c = s.customer;
    const seed = this.w.seed;
    const inv = invoicePlan(this.w, s, k);
    const code = s.gen * GEN_CYCLES + k;
    const id = this.invoiceId(s, k);
    const created = periodStart(s, k);
    const finalizedAt = created + FINALIZE_AFTER;
    const finalized = finalizedAt <= t;
    const paid = inv.paidAt !== null && inv.paidAt <= t;
    const closed = inv.closedAt !== null && inv.closedAt <= t;
    const voided = closed && voidedAtEnd(this.w, s);
    const failed = inv.failedAt !== null && inv.failedAt <= t;
    const customer = this.customer(c, created);
    const subId = this.subscriptionId(s);
    const prefix = customer['invoice_prefix'] as string;
    const total = inv.total;
    const attempts = total === 0 ? 0 : paid || closed ? (inv.pastDue ? 2 : 1) : failed ? 1 : 0;
    const payment = (retry: boolean, ok: boolean, at: number): Json => {
      const payCode = retry ? RETRY_CODE + code : code;
      return {
        id: memberId('inpay_', seed, c.day, c.index, 3_000_000 + payCode, 24),
        object: 'invoice_payment',
        amount_paid: ok ? total : null,
        amount_requested: total,
        created: at,
        currency: c.currency,
        invoice: id,
        is_default: !retry || ok,
        livemode: false,
        payment: {
          type: 'payment_intent',
          payment_intent: this.id({ kind: Kind.piInvoice, day: c.day, index: c.index, sub: payCode * 4 }),
        },
        status: ok ? 'paid' : 'open',
        status_transitions: { canceled_at: null, paid_at: ok ? inv.paidAt : null },
      };
    };
    const payments: Json[] = [];
    if (finalized && total > 0) {
      if (inv.pastDue !== null && (paid || closed)) payments.push(payment(true, paid, inv.retryAt));
      payments.push(payment(false, paid && inv.pastDue === null, finalizedAt));
    }
    const di = this.discountId(s);
    const lines = this.invoiceLines(s, k);
    const hosted = chars(seed, c.nameSeed, 4_000_000 + code, 32);
    return {
      id,
      object: 'invoice',
      account_country: 'US',
      account_name: 'Payments Mock',
      account_tax_ids: null,
      amount_due: total,
      amount_overpaid: 0,
      amount_paid: paid ? total : 0,
      amount_remaining: paid ? 0 : total,
      amount_shipping: 0,
      application: null,
      attempt_count: attempts,
      attempted: paid || attempts > 0,
      auto_advance: !paid && !closed,
      automatic_tax: { disabled_reason: null, enabled: false, liability: null, provider: null, status: null },
      automatically_finalizes_at: finalized ? null : finalizedAt,
      billing_reason: k === 0 ? 'subscription_create' : 'subscription_cycle',
      collection_method: 'charge_automatically',
      created,
      currency: c.currency,
      custom_fields: null,
      customer: customer['id'],
      customer_account: null,
      customer_address: customer['address'],
      customer_email: customer['email'],
      customer_name: customer['name'],
      customer_phone: null,
      customer_shipping: null,
      customer_tax_exempt: 'none',
      customer_tax_ids: [],
      default_payment_method: null,
      default_source: null,
      default_tax_rates: [],
      description: null,
      discounts: inv.discount > 0 ? [di] : [],
      due_date: null,
      effective_at: finalized ? finalizedAt : null,
      ending_balance: finalized ? 0 : null,
      footer: null,
      from_invoice: null,
      hosted_invoice_url: finalized ? `https://invoice.stripe.com/i/${hosted}` : null,
      invoice_pdf: finalized ? `https://pay.stripe.com/invoice/${hosted}/pdf` : null,
      issuer: { type: 'self' },
      last_finalization_error: null,
      latest_revision: null,
      lines: childList(`/v1/invoices/${id}/lines`, lines),
      livemode: false,
      metadata: {},
      next_payment_attempt: !finalized || paid || closed ? null : failed ? inv.retryAt : finalizedAt,
      number: finalized ? `${prefix}-${String(s.numberBase + k + 1).padStart(4, '0')}` : null,
      on_behalf_of: null,
      parent: {
        quote_details: null,
        subscription_details: { metadata: {}, subscription: subId },
        type: 'subscription_details',
      },
      payment_settings: { default_mandate: null, payment_method_options: null, payment_method_types: null },
      // Current API versions link invoices to payments via invoice_payment objects (expanded).
      payments: list(`/v1/invoice_payments?invoice=${id}`, payments),
      period_end: created,
      period_start: k === 0 ? created : periodStart(s, k - 1),
      post_payment_credit_notes_amount: 0,
      pre_payment_credit_notes_amount: 0,
      receipt_number: null,
      rendering: null,
      shipping_cost: null,
      shipping_details: null,
      starting_balance: 0,
      statement_descriptor: null,
      status: paid ? 'paid' : voided ? 'void' : closed ? 'uncollectible' : finalized ? 'open' : 'draft',
      status_transitions: {
        finalized_at: finalized ? finalizedAt : null,
        marked_uncollectible_at: closed && !voided ? inv.closedAt : null,
        paid_at: paid ? inv.paidAt : null,
        voided_at: voided ? inv.closedAt : null,
      },
      subscription: subId,
      subtotal: inv.subtotal,
      subtotal_excluding_tax: inv.subtotal,
      test_clock: null,
      total,
      total_discount_amounts: inv.discount > 0 ? [{ amount: inv.discount, discount: di }] : [],
      total_excluding_tax: total,
      total_pretax_credit_amounts: [],
      total_taxes: [],
      webhooks_delivered_at: created,
    };
  }
}

/** Stripe's `previous_attributes`: the old value of every top-level field that changed. */
export function previousAttributes(before: Json, after: Json): Json {
  const out: Json = {};
  for (const k of Object.keys(before)) {
    if (JSON.stringify(before[k]) !== JSON.stringify(after[k])) out[k] = before[k];
  }
  return out;
}
