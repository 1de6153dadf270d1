/**
 * The Stripe API version the pipeline is written for: the shapes the Silver contracts read first
 * (src/contracts/silver.ts; older shapes are read too, for events created under an older
 * version), the version the mock speaks and the one the bundled `stripe` client pins. Sent as
 * `Stripe-Version` on every request unless `STRIPE_API_VERSION` says otherwise, so an account's
 * own default version never decides the shapes of what the API lists.
 */
export const PIPELINE_API_VERSION = '2026-10-28.endive';
