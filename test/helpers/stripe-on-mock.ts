import Stripe from 'stripe';

/**
 * The official `stripe` client talking to the mock API listening on `port` (plain HTTP on
 * 127.0.0.1), without retries: a test sees the mock's first answer, errors included.
 */
export function stripeOnMock(port: number, apiKey = 'sk_test_x'): Stripe {
  return new Stripe(apiKey, { host: '127.0.0.1', port, protocol: 'http', maxNetworkRetries: 0 });
}
