import { Kind, objectId, objectIdOf, type Ref } from './ids.js';
import { type Described, describe, EVENT_TYPES } from './model.js';
import { BRANDS, COUNTRY, chars, EVIDENCE_FIELDS, FIRST, LAST, LAST4 } from './objects.js';
import {
  AVAILABLE_AFTER,
  type ChargePlan,
  type CustomerPlan,
  chargePlanOf,
  customerPlan,
  DAY,
  FINALIZE_AFTER,
  invoiceCreated,
  invoicesBy,
  type SubscriptionPlan,
  stripeFee,
  subscriptionPlan,
  type World,
} from './plan.js';

/**
 * The fast path of the object builders: each object rendered straight to JSON text, byte for
 * byte what `JSON.stringify(new ObjectFactory(w).build(d, v))` gives (a unit test holds them
 * equal), without building the object first. The constant runs of each kind are literal text in
 * the templates; only the varying fields are spliced in. This is what the server sends: building
 * ~100 JS objects per page and stringifying them was most of a page's time (issue #3).
 *
 * Strings that could ever need escaping go through `q` (JSON.stringify); ids, base62 filler,
 * currency codes and the other values of the mock's own alphabets are spliced in as they are.
 */

/** A JSON string literal (escaped as JSON.stringify does). */
const q = (s: string): string => JSON.stringify(s);

const NULL_ADDRESS = '{"city":null,"country":null,"line1":null,"line2":null,"postal_code":null,"state":null}';
const EVIDENCE = `{${EVIDENCE_FIELDS.map((k) => `"${k}":null`).join(',')},"enhanced_evidence":{}}`;
const list = (url: string, data: string): string =>
  `{"object":"list","data":[${data}],"has_more":false,"url":${q(url)}}`;

/** Renders objects of one world as JSON text; mirrors `ObjectFactory` method for method. */
export class JsonRenderer {
  constructor(readonly w: World) {}

  private id(ref: Ref): string {
    return objectId(this.w.seed, ref);
  }

  /**
   * JSON of an indexed object's state at `now` (it must exist by then), as
   * `build(describe(w, ref, now), last, true)` gives, without walking its timeline: every kind
   * but disputes renders the same at `now` as at its last version time, because each of its
   * state changes is a version. A dispute embeds balance transactions whose silent change to
   * `available` is not one of its versions, so disputes take the described path.
   */
  stateAt(ref: Ref, now: number): string {
    switch (ref.k) {
      case Kind.customer: {
        const c = customerPlan(this.w, ref.d, ref.i)!;
        if (c.deletedAt !== null && c.deletedAt <= now)
          return `{"id":"${this.id(ref)}","object":"customer","deleted":true}`;
        return this.customer(c, now);
      }
      case Kind.subscription:
        return this.subscription(subscriptionPlan(this.w, ref.d, ref.i)!, now);
      case Kind.invoice:
        return this.invoice(subscriptionPlan(this.w, ref.d, ref.i)!, ref.s / 4, now);
      case Kind.disputeOneOff:
      case Kind.disputeInvoice: {
        const d = describe(this.w, ref, now)!;
        return this.build(d, d.versions.length - 1, true);
      }
      default: {
        const p = chargePlanOf(this.w, ref)!;
        switch (ref.k) {
          case Kind.chargeOneOff:
          case Kind.chargeInvoice:
            return this.charge(p, now);
          case Kind.piOneOff:
          case Kind.piInvoice:
            return this.paymentIntent(p, now);
          case Kind.refundOneOff:
          case Kind.refundInvoice:
            return this.refund(p, ref.s % 4, this.chargeId(p), this.piId(p), this.pmId(p));
          default:
            return this.balanceTransaction(ref, p, now);
        }
      }
    }
  }

  /** JSON of version `v` of a described object (`showDeleted`: a deleted customer as Stripe shows it). */
  build(d: Described, v: number, showDeleted = false): string {
    const version = d.versions[v]!;
    const tv = version.t;
    const ref = d.ref;
    switch (ref.k) {
      case Kind.customer: {
        const c = d.plan as CustomerPlan;
        if (showDeleted && EVENT_TYPES[version.type - 1] === 'customer.deleted')
          return `{"id":"${this.id(ref)}","object":"customer","deleted":true}`;
        return this.customer(c, tv);
      }
      case Kind.subscription:
        return this.subscription(d.plan as SubscriptionPlan, tv);
      case Kind.invoice:
        return this.invoice(d.plan as SubscriptionPlan, ref.s / 4, tv);
      default: {
        const p = d.plan as ChargePlan;
        switch (ref.k) {
          case Kind.chargeOneOff:
          case Kind.chargeInvoice:
            return this.charge(p, tv);
          case Kind.piOneOff:
          case Kind.piInvoice:
            return this.paymentIntent(p, tv);
          case Kind.refundOneOff:
          case Kind.refundInvoice:
            return this.refund(p, ref.s % 4, this.chargeId(p), this.piId(p), this.pmId(p));
          case Kind.disputeOneOff:
          case Kind.disputeInvoice:
            return this.dispute(p, tv);
          default:
            return this.balanceTransaction(ref, p, tv);
        }
      }
    }
  }

  // --- ids -----------------------------------------------------------------------------------

  /** The id of the object of kind `oneOff`/`invoice` (by the family) and number `n` of a charge family. */
  private famId(p: ChargePlan, oneOff: number, invoice: number, n = 0): string {
    return objectIdOf(this.w.seed, p.family ? invoice : oneOff, p.d, p.i, p.m * 4 + n);
  }
  private famRef(p: ChargePlan, oneOff: number, invoice: number, n = 0): Ref {
    return { k: p.family ? invoice : oneOff, d: p.d, i: p.i, s: p.m * 4 + n };
  }
  private chargeId(p: ChargePlan): string {
    return this.famId(p, Kind.chargeOneOff, Kind.chargeInvoice);
  }
  private piId(p: ChargePlan): string {
    return this.famId(p, Kind.piOneOff, Kind.piInvoice);
  }
  private customerRef(c: CustomerPlan | null): string {
    return c ? `"${objectIdOf(this.w.seed, Kind.customer, c.d, c.i, 0)}"` : 'null';
  }
  private subscriptionId(s: SubscriptionPlan): string {
    return objectIdOf(this.w.seed, Kind.subscription, s.customer.d, s.customer.i, 0);
  }
  private invoiceId(s: SubscriptionPlan, m: number): string {
    return objectIdOf(this.w.seed, Kind.invoice, s.customer.d, s.customer.i, m * 4);
  }
  private pmId(p: ChargePlan): string {
    return `pm_${chars(this.w.seed, p.cardSeed, 1, 24)}`;
  }

  // --- customers -----------------------------------------------------------------------------

  /** The fields of a customer that invoices copy too. */
  private customerParts(c: CustomerPlan, t: number): { address: string; email: string; name: string } {
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

  customer(c: CustomerPlan, t: number): string {
    const updated = c.updatedAt !== null && t >= c.updatedAt;
    const tag = c.nameSeed % 1000;
    const { address, email, name } = this.customerParts(c, t);
    return (
      `{"id":${this.customerRef(c)},"object":"customer","address":${address},"balance":0,` +
      `"created":${c.created},"currency":"${c.currency}","default_source":null,"delinquent":false,` +
      `"description":null,"discount":null,"email":${email},` +
      `"invoice_prefix":"${chars(this.w.seed, c.nameSeed, 2, 8).toUpperCase()}",` +
      `"invoice_settings":{"custom_fields":null,"default_payment_method":null,"footer":null,"rendering_options":null},` +
      `"livemode":false,"metadata":${updated ? '{"tier":"gold"}' : '{}'},"name":${name},` +
      `"next_invoice_sequence":1,"phone":${updated ? `"+1555${String(1000000 + tag).slice(1)}"` : 'null'},` +
      `"preferred_locales":[],"shipping":null,"tax_exempt":"none","test_clock":null}`
    );
  }

  // --- payments ------------------------------------------------------------------------------

  private card(p: ChargePlan, country: string): string {
    const h = p.cardSeed;
    const brand = BRANDS[h % BRANDS.length]!;
    const ok = !p.failure;
    return (
      `{"amount_authorized":${ok ? p.amount : 'null'},` +
      `"authorization_code":${ok ? `"${100000 + (h % 900000)}"` : 'null'},"brand":"${brand}",` +
      `"checks":{"address_line1_check":null,"address_postal_code_check":"pass","cvc_check":"pass"},` +
      `"country":"${country}","exp_month":${1 + (h % 12)},"exp_year":${2027 + (h % 6)},` +
      `"extended_authorization":{"status":"disabled"},"fingerprint":"${chars(this.w.seed, h, 3, 16)}",` +
      `"funding":"${h % 5 === 0 ? 'debit' : 'credit'}","incremental_authorization":{"status":"unavailable"},` +
      `"installments":null,"last4":"${LAST4[Math.floor(h / 7) % LAST4.length]!}","mandate":null,` +
      `"multicapture":{"status":"unavailable"},"network":"${brand}","network_token":{"used":false},` +
      `"network_transaction_id":"${h}",` +
      `"overcapture":{"maximum_amount_capturable":${p.amount},"status":"unavailable"},` +
      `"regulated_status":"unregulated","three_d_secure":null,"transaction_link_id":null,"wallet":null}`
    );
  }

  paymentIntent(p: ChargePlan, t: number): string {
    const charged = t >= p.created;
    const id = this.piId(p);
    const status = !charged ? 'requires_confirmation' : p.failure ? 'requires_payment_method' : 'succeeded';
    const sub = p.family === 1; // an invoice's charge: its subscription exists (invoiceChargePlan)
    const chargeId = charged ? this.chargeId(p) : '';
    let lastError = 'null';
    if (charged && p.failure) {
      const [code, message] = p.failure;
      lastError =
        `{"type":"card_error","code":${q(code)},"decline_code":${q(code === 'card_declined' ? 'generic_decline' : code)},` +
        `"message":${q(message)},"charge":"${chargeId}"}`;
    }
    return (
      `{"id":"${id}","object":"payment_intent","amount":${p.amount},"amount_capturable":0,` +
      `"amount_details":{"tip":{}},"amount_received":${status === 'succeeded' ? p.amount : 0},` +
      `"application":null,"application_fee_amount":null,"automatic_payment_methods":{"enabled":true},` +
      `"canceled_at":null,"cancellation_reason":null,"capture_method":"automatic",` +
      `"client_secret":"${id}_secret_${chars(this.w.seed, p.cardSeed, 4, 25)}",` +
      `"confirmation_method":"automatic","created":${p.piCreated},"currency":"${p.currency}",` +
      `"customer":${this.customerRef(p.customer)},"description":${sub ? '"Subscription update"' : 'null'},` +
      `"excluded_payment_method_types":null,"last_payment_error":${lastError},` +
      `"latest_charge":${charged ? `"${chargeId}"` : 'null'},"livemode":false,"metadata":{},` +
      `"next_action":null,"on_behalf_of":null,"payment_method":"${this.pmId(p)}",` +
      `"payment_method_configuration_details":null,` +
      `"payment_method_options":{"card":{"installments":null,"mandate_options":null,"network":null,"request_three_d_secure":"automatic"}},` +
      `"payment_method_types":["card"],"processing":null,"receipt_email":null,"review":null,` +
      `"setup_future_usage":${sub ? '"off_session"' : 'null'},"shipping":null,"source":null,` +
      `"statement_descriptor":null,"statement_descriptor_suffix":null,"status":"${status}",` +
      `"transfer_data":null,"transfer_group":null,"customer_account":null,"managed_payments":{"enabled":false}}`
    );
  }

  charge(p: ChargePlan, t: number): string {
    const id = this.chargeId(p);
    const piId = this.piId(p);
    const pmId = this.pmId(p);
    let refunded = 0;
    let refundList = '';
    // Newest refund first, as the builder's `refunds.reverse()`.
    for (let n = p.refunds.length - 1; n >= 0; n--) {
      if (p.refunds[n]!.created > t) continue;
      refunded += p.refunds[n]!.amount;
      refundList += (refundList === '' ? '' : ',') + this.refund(p, n, id, piId, pmId);
    }
    const failure = p.failure;
    const failed = failure !== null;
    const cust = p.customer;
    const first = cust ? FIRST[cust.nameSeed % FIRST.length]! : 'Guest';
    const last = cust ? LAST[Math.floor(cust.nameSeed / 16) % LAST.length]! : 'Buyer';
    const country = COUNTRY[p.currency] ?? 'US';
    const order = `${p.d}-${p.i}`;
    return (
      `{"id":"${id}","object":"charge","amount":${p.amount},"amount_captured":${failed ? 0 : p.amount},` +
      `"amount_refunded":${refunded},"application":null,"application_fee":null,"application_fee_amount":null,` +
      `"balance_transaction":${failed ? 'null' : `"${this.famId(p, Kind.btChargeOneOff, Kind.btChargeInvoice)}"`},` +
      `"billing_details":{"address":{"city":null,"country":"${country}","line1":null,"line2":null,` +
      `"postal_code":"${10000 + (p.cardSeed % 89999)}","state":null},"email":null,` +
      `"name":${q(`${first} ${last}`)},"phone":null,"tax_id":null},` +
      `"calculated_statement_descriptor":"PAYMENTS MOCK","captured":${!failed},"created":${p.created},` +
      `"currency":"${p.currency}","customer":${this.customerRef(cust)},` +
      `"description":${p.family === 1 ? '"Subscription update"' : `"Order #${order}"`},` +
      `"disputed":${p.dispute !== null && t >= p.dispute.created},"failure_balance_transaction":null,` +
      `"failure_code":${failure ? q(failure[0]) : 'null'},"failure_message":${failure ? q(failure[1]) : 'null'},` +
      `"fraud_details":{},"livemode":false,"metadata":${p.family === 1 ? '{}' : `{"order_id":"${order}"}`},` +
      `"on_behalf_of":null,"outcome":{"advice_code":null,"network_advice_code":null,"network_decline_code":null,` +
      `"network_status":"${failed ? 'declined_by_network' : 'approved_by_network'}",` +
      `"reason":${failure ? q(failure[0] === 'card_declined' ? 'generic_decline' : failure[0]) : 'null'},` +
      `"risk_level":"normal","risk_score":${p.cardSeed % 65},` +
      `"seller_message":"${failed ? 'The bank did not return any further details with this decline.' : 'Payment complete.'}",` +
      `"type":"${failed ? 'issuer_declined' : 'authorized'}"},"paid":${!failed},"payment_intent":"${piId}",` +
      `"payment_method":"${pmId}","payment_method_details":{"card":${this.card(p, country)},"type":"card"},` +
      `"receipt_email":null,"receipt_number":null,` +
      `"receipt_url":"https://pay.stripe.com/receipts/payment/${chars(this.w.seed, p.cardSeed, 5, 40)}",` +
      `"refunded":${refunded >= p.amount},"refunds":${list(`/v1/charges/${id}/refunds`, refundList)},` +
      `"review":null,"shipping":null,"source":null,"source_transfer":null,"statement_descriptor":null,` +
      `"statement_descriptor_suffix":null,"status":"${failed ? 'failed' : 'succeeded'}","transfer_data":null,` +
      `"transfer_group":null}`
    );
  }

  refund(p: ChargePlan, n: number, chargeId: string, piId: string, pmId: string): string {
    const r = p.refunds[n]!;
    return (
      `{"id":"${this.famId(p, Kind.refundOneOff, Kind.refundInvoice, n)}","object":"refund",` +
      `"amount":${r.amount},"balance_transaction":"${this.famId(p, Kind.btRefundOneOff, Kind.btRefundInvoice, n)}",` +
      `"charge":"${chargeId}","created":${r.created},"currency":"${p.currency}",` +
      `"customer":${this.customerRef(p.customer)},"customer_account":null,` +
      `"destination_details":{"card":{"reference":"${p.cardSeed + n}","reference_status":"available",` +
      `"reference_type":"acquirer_reference_number","type":"refund"},"type":"card"},"metadata":{},` +
      `"payment_intent":"${piId}","payment_method":"${pmId}",` +
      `"reason":${r.amount === p.amount ? '"requested_by_customer"' : 'null'},"receipt_number":null,` +
      `"source_transfer_reversal":null,"status":"succeeded","transfer_reversal":null}`
    );
  }

  dispute(p: ChargePlan, t: number): string {
    const dp = p.dispute!;
    const closed = t >= dp.closedAt;
    let bts = this.balanceTransaction(this.famRef(p, Kind.btDisputeOneOff, Kind.btDisputeInvoice, 0), p, t);
    if (closed && dp.won)
      bts += `,${this.balanceTransaction(this.famRef(p, Kind.btDisputeOneOff, Kind.btDisputeInvoice, 1), p, t)}`;
    return (
      `{"id":"${this.famId(p, Kind.disputeOneOff, Kind.disputeInvoice)}","object":"dispute",` +
      `"amount":${p.amount},"balance_transactions":[${bts}],"charge":"${this.chargeId(p)}",` +
      `"created":${dp.created},"currency":"${p.currency}","enhanced_eligibility_types":[],` +
      `"evidence":${EVIDENCE},"evidence_details":{"due_by":${dp.created + 7 * DAY},"enhanced_eligibility":{},` +
      `"has_evidence":false,"past_due":false,"submission_count":0},"is_charge_refundable":false,` +
      `"livemode":false,"metadata":{},"payment_intent":"${this.piId(p)}",` +
      `"payment_method_details":{"card":{"brand":"${BRANDS[p.cardSeed % BRANDS.length]!}",` +
      `"case_type":"chargeback","network_reason_code":"10.4"},"type":"card"},"reason":${q(dp.reason)},` +
      `"status":"${closed ? (dp.won ? 'won' : 'lost') : 'needs_response'}"}`
    );
  }

  balanceTransaction(ref: Ref, p: ChargePlan, asOf: number): string {
    const kind = (ref.k - Kind.btChargeOneOff) % 3; // 0 charge, 1 refund, 2 dispute
    const n = ref.s % 4;
    let amount: number;
    let fee = 0;
    let created: number;
    let source: string;
    let type: string;
    let category: string;
    let description: string;
    if (kind === 0) {
      amount = p.amount;
      fee = stripeFee(p.amount);
      created = p.created;
      source = this.chargeId(p);
      type = 'charge';
      category = 'charge';
      description = p.family === 1 ? '"Subscription update"' : `"Order #${p.d}-${p.i}"`;
    } else if (kind === 1) {
      const r = p.refunds[n]!;
      amount = -r.amount;
      created = r.created;
      source = this.famId(p, Kind.refundOneOff, Kind.refundInvoice, n);
      type = 'refund';
      category = 'refund';
      description = '"REFUND FOR CHARGE"';
    } else {
      const dp = p.dispute!;
      const won = n === 1;
      amount = won ? p.amount : -p.amount;
      fee = won ? 0 : 1500;
      created = won ? dp.closedAt : dp.created;
      source = this.famId(p, Kind.disputeOneOff, Kind.disputeInvoice);
      type = 'adjustment';
      category = won ? 'dispute_reversal' : 'dispute';
      description = `"Chargeback ${won ? 'reversal' : 'withdrawal'} for ${this.chargeId(p)}"`;
    }
    const availableOn = created + AVAILABLE_AFTER;
    const feeDetails =
      fee === 0
        ? '[]'
        : `[{"amount":${fee},"application":null,"currency":"${p.currency}","description":"${kind === 2 ? 'Dispute fee' : 'Stripe processing fees'}","type":"stripe_fee"}]`;
    return (
      `{"id":"${this.id(ref)}","object":"balance_transaction","amount":${amount},"available_on":${availableOn},` +
      `"balance_type":"payments","created":${created},"currency":"${p.currency}","description":${description},` +
      `"exchange_rate":null,"fee":${fee},"fee_details":${feeDetails},"net":${amount - fee},` +
      `"reporting_category":"${category}","source":"${source}",` +
      `"status":"${asOf >= availableOn ? 'available' : 'pending'}","type":"${type}"}`
    );
  }

  // --- billing -------------------------------------------------------------------------------

  private price(s: SubscriptionPlan, priceId: string, productId: string): string {
    return (
      `{"id":"${priceId}","object":"price","active":true,"billing_scheme":"per_unit","created":1700000000,` +
      `"currency":"${s.customer.currency}","custom_unit_amount":null,"livemode":false,"lookup_key":null,` +
      `"metadata":{},"nickname":${q(s.product)},"product":"${productId}",` +
      `"recurring":{"interval":"month","interval_count":1,"meter":null,"trial_period_days":null,"usage_type":"licensed"},` +
      `"tax_behavior":"unspecified","tiers_mode":null,"transform_quantity":null,"type":"recurring",` +
      `"unit_amount":${s.price},"unit_amount_decimal":"${s.price}"}`
    );
  }
  private priceIds(s: SubscriptionPlan): [price: string, product: string] {
    return [`price_${chars(this.w.seed, s.price, 7, 24)}`, `prod_${chars(this.w.seed, s.price, 6, 14)}`];
  }

  subscription(s: SubscriptionPlan, t: number): string {
    const id = this.subscriptionId(s);
    const canceled = s.canceledAt !== null && t >= s.canceledAt;
    const m = Math.max(1, invoicesBy(s, t)) - 1; // current period's invoice
    const c = s.customer;
    const [priceId, productId] = this.priceIds(s);
    const canceledAt = canceled ? String(s.canceledAt) : 'null';
    const item =
      `{"id":"si_${chars(this.w.seed, c.nameSeed, 9, 14)}","object":"subscription_item","billing_thresholds":null,` +
      `"created":${s.created},"current_period_end":${invoiceCreated(s, m + 1)},` +
      `"current_period_start":${invoiceCreated(s, m)},"discounts":[],"metadata":{},` +
      `"plan":{"id":"${priceId}","object":"plan","active":true,"amount":${s.price},"amount_decimal":"${s.price}",` +
      `"billing_scheme":"per_unit","created":1700000000,"currency":"${c.currency}","interval":"month",` +
      `"interval_count":1,"livemode":false,"metadata":{},"meter":null,"nickname":${q(s.product)},` +
      `"product":"${productId}","tiers_mode":null,"transform_usage":null,"trial_period_days":null,` +
      `"usage_type":"licensed"},"price":${this.price(s, priceId, productId)},"quantity":1,` +
      `"subscription":"${id}","tax_rates":[]}`;
    return (
      `{"id":"${id}","object":"subscription","application":null,"application_fee_percent":null,` +
      `"automatic_tax":{"disabled_reason":null,"enabled":false,"liability":null},` +
      `"billing_cycle_anchor":${s.created},"billing_cycle_anchor_config":null,` +
      `"billing_mode":{"type":"classic"},"billing_schedules":[],"billing_thresholds":null,"cancel_at":null,` +
      `"cancel_at_period_end":false,"canceled_at":${canceledAt},"cancellation_details":{"comment":null,` +
      `"feedback":null,"reason":${canceled ? '"cancellation_requested"' : 'null'}},` +
      `"collection_method":"charge_automatically","created":${s.created},"currency":"${c.currency}",` +
      `"customer":${this.customerRef(c)},"customer_account":null,"days_until_due":null,` +
      `"default_payment_method":"pm_${chars(this.w.seed, c.nameSeed, 8, 24)}","default_source":null,` +
      `"default_tax_rates":[],"description":null,"discounts":[],"ended_at":${canceledAt},` +
      `"invoice_settings":{"account_tax_ids":null,"issuer":{"type":"self"}},` +
      `"items":${list(`/v1/subscription_items?subscription=${id}`, item)},` +
      `"latest_invoice":"${this.invoiceId(s, m)}","livemode":false,"managed_payments":{"enabled":false},` +
      `"metadata":{},"next_pending_invoice_item_invoice":null,"on_behalf_of":null,"pause_collection":null,` +
      `"payment_settings":{"payment_method_options":null,"payment_method_types":null,"save_default_payment_method":"off"},` +
      `"pending_invoice_item_interval":null,"pending_setup_intent":null,"pending_update":null,"schedule":null,` +
      `"start_date":${s.created},"status":"${canceled ? 'canceled' : 'active'}","test_clock":null,` +
      `"transfer_data":null,"trial_end":null,` +
      `"trial_settings":{"end_behavior":{"missing_payment_method":"create_invoice"}},"trial_start":null}`
    );
  }

  invoice(s: SubscriptionPlan, m: number, t: number): string {
    const id = this.invoiceId(s, m);
    const created = invoiceCreated(s, m);
    const finalizedAt = created + FINALIZE_AFTER;
    const paidAt = finalizedAt + 3;
    const finalized = t >= finalizedAt;
    const paid = t >= paidAt;
    const c = s.customer;
    const customer = this.customerParts(c, created);
    const subId = this.subscriptionId(s);
    const [priceId, productId] = this.priceIds(s);
    const prefix = chars(this.w.seed, c.nameSeed, 2, 8).toUpperCase();
    const price = s.price;
    const seed = this.w.seed;
    const paidAtText = paid ? String(paidAt) : 'null';
    const line =
      `{"id":"il_${chars(seed, c.nameSeed, 11 + m, 24)}","object":"line_item","amount":${price},` +
      `"currency":"${c.currency}","description":${q(`1 × ${s.product} (at ${(price / 100).toFixed(2)} / month)`)},` +
      `"discount_amounts":[],"discountable":true,"discounts":[],"invoice":"${id}","livemode":false,"metadata":{},` +
      `"parent":{"invoice_item_details":null,"subscription_item_details":{"invoice_item":null,"proration":false,` +
      `"proration_details":{"credited_items":null},"subscription":"${subId}",` +
      `"subscription_item":"si_${chars(seed, c.nameSeed, 9, 14)}"},"type":"subscription_item_details"},` +
      `"period":{"end":${invoiceCreated(s, m + 1)},"start":${created}},"pretax_credit_amounts":[],` +
      `"pricing":{"price_details":{"price":"${priceId}","product":"${productId}"},"type":"price_details",` +
      `"unit_amount_decimal":"${price}"},"quantity":1,"quantity_decimal":"1","subscription":"${subId}",` +
      `"subtotal":${price},"taxes":[]}`;
    const payment = finalized
      ? `{"id":"inpay_${chars(seed, c.nameSeed, 12 + m, 24)}","object":"invoice_payment",` +
        `"amount_paid":${paid ? price : 'null'},"amount_requested":${price},"created":${finalizedAt},` +
        `"currency":"${c.currency}","invoice":"${id}","is_default":true,"livemode":false,` +
        `"payment":{"type":"payment_intent","payment_intent":"${objectIdOf(this.w.seed, Kind.piInvoice, c.d, c.i, m * 4)}"},` +
        `"status":"${paid ? 'paid' : 'open'}","status_transitions":{"canceled_at":null,"paid_at":${paidAtText}}}`
      : '';
    const hosted = finalized ? chars(seed, c.nameSeed, 10 + m, 32) : '';
    return (
      `{"id":"${id}","object":"invoice","account_country":"US","account_name":"Payments Mock",` +
      `"account_tax_ids":null,"amount_due":${price},"amount_overpaid":0,"amount_paid":${paid ? price : 0},` +
      `"amount_remaining":${paid ? 0 : price},"amount_shipping":0,"application":null,` +
      `"attempt_count":${paid ? 1 : 0},"attempted":${paid},"auto_advance":${!paid},` +
      `"automatic_tax":{"disabled_reason":null,"enabled":false,"liability":null,"provider":null,"status":null},` +
      `"automatically_finalizes_at":${finalized ? 'null' : finalizedAt},` +
      `"billing_reason":"${m === 0 ? 'subscription_create' : 'subscription_cycle'}",` +
      `"collection_method":"charge_automatically","created":${created},"currency":"${c.currency}",` +
      `"custom_fields":null,"customer":${this.customerRef(c)},"customer_account":null,` +
      `"customer_address":${customer.address},"customer_email":${customer.email},` +
      `"customer_name":${customer.name},"customer_phone":null,"customer_shipping":null,` +
      `"customer_tax_exempt":"none","customer_tax_ids":[],"default_payment_method":null,"default_source":null,` +
      `"default_tax_rates":[],"description":null,"discounts":[],"due_date":null,` +
      `"effective_at":${finalized ? finalizedAt : 'null'},"ending_balance":${finalized ? 0 : 'null'},` +
      `"footer":null,"from_invoice":null,` +
      `"hosted_invoice_url":${finalized ? `"https://invoice.stripe.com/i/${hosted}"` : 'null'},` +
      `"invoice_pdf":${finalized ? `"https://pay.stripe.com/invoice/${hosted}/pdf"` : 'null'},` +
      `"issuer":{"type":"self"},"last_finalization_error":null,"latest_revision":null,` +
      `"lines":${list(`/v1/invoices/${id}/lines`, line)},"livemode":false,"metadata":{},` +
      `"next_payment_attempt":${finalized && !paid ? finalizedAt : 'null'},` +
      `"number":${finalized ? `"${prefix}-${String(m + 1).padStart(4, '0')}"` : 'null'},"on_behalf_of":null,` +
      `"parent":{"quote_details":null,"subscription_details":{"metadata":{},"subscription":"${subId}"},` +
      `"type":"subscription_details"},` +
      `"payment_settings":{"default_mandate":null,"payment_method_options":null,"payment_method_types":null},` +
      `"payments":${list(`/v1/invoice_payments?invoice=${id}`, payment)},"period_end":${created},` +
      `"period_start":${m === 0 ? created : invoiceCreated(s, m - 1)},"post_payment_credit_notes_amount":0,` +
      `"pre_payment_credit_notes_amount":0,"receipt_number":null,"rendering":null,"shipping_cost":null,` +
      `"shipping_details":null,"starting_balance":0,"statement_descriptor":null,` +
      `"status":"${paid ? 'paid' : finalized ? 'open' : 'draft'}","status_transitions":{` +
      `"finalized_at":${finalized ? finalizedAt : 'null'},"marked_uncollectible_at":null,` +
      `"paid_at":${paidAtText},"voided_at":null},"subscription":"${subId}","subtotal":${price},` +
      `"subtotal_excluding_tax":${price},"test_clock":null,"total":${price},"total_discount_amounts":[],` +
      `"total_excluding_tax":${price},"total_pretax_credit_amounts":[],"total_taxes":[],` +
      `"webhooks_delivered_at":${created}}`
    );
  }
}

/**
 * The top-level fields of a JSON object text, as [key, value text] pairs in order (the value
 * texts exactly as they appear). For `previous_attributes` without parsing: two renderings of
 * one object differ in a field exactly when the field's texts differ.
 */
export function topLevelFields(json: string): [string, string][] {
  const out: [string, string][] = [];
  const n = json.length;
  let k = 1; // after '{'
  while (k < n && json.charCodeAt(k) === 34 /* " */) {
    const keyEnd = json.indexOf('"', k + 1); // keys of the mock's objects have no escapes
    const key = json.slice(k + 1, keyEnd);
    const start = keyEnd + 2; // skip ':'
    let depth = 0;
    let p = start;
    for (; p < n; p++) {
      const c = json.charCodeAt(p);
      if (c === 34) {
        // Skip a string, honouring escapes.
        for (p++; p < n; p++) {
          const d = json.charCodeAt(p);
          if (d === 92 /* \ */) p++;
          else if (d === 34) break;
        }
      } else if (c === 123 || c === 91) depth++;
      else if (c === 125 || c === 93) {
        if (depth === 0) break;
        depth--;
      } else if (c === 44 /* , */ && depth === 0) break;
    }
    out.push([key, json.slice(start, p)]);
    k = p + 1;
  }
  return out;
}

/** Stripe's `previous_attributes` as JSON text: the old value of every top-level field that changed. */
export function previousAttributesJson(before: string, after: string): string {
  const now = new Map(topLevelFields(after));
  let out = '';
  for (const [k, v] of topLevelFields(before)) {
    if (now.get(k) !== v) out += `${out === '' ? '' : ','}"${k}":${v}`;
  }
  return `{${out}}`;
}
