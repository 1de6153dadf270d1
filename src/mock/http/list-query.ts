import type { EntityName } from '../../entities/entity.js';
import { ApiError } from '../api-error.js';
import type { ListQuery } from '../dataset/dataset.js';
import { eventTypeCodes } from '../dataset/versions.js';

/**
 * Parses a list request's query string with Stripe's rules: `limit` 1–100 (default 10),
 * `starting_after` xor `ending_before`, `created` as an integer or `created[gt|gte|lt|lte]`,
 * `types[]`/`type` on events, `status` on subscriptions, `payout` on balance transactions; unknown parameters are an error.
 */
export function parseListQuery(e: EntityName, params: URLSearchParams): ListQuery {
  const q: ListQuery = { limit: 10, gte: 0, lte: Number.MAX_SAFE_INTEGER };
  const types: string[] = [];
  for (const [key, value] of params) {
    if (key === 'limit') {
      const n = Number(value);
      if (!/^\d+$/.test(value) || n < 1 || n > 100) {
        throw new ApiError(
          400,
          'invalid_request_error',
          'parameter_invalid_integer',
          `Invalid limit: must be an integer from 1 to 100 (got '${value}')`,
          'limit',
        );
      }
      q.limit = n;
    } else if (key === 'starting_after' || key === 'ending_before') {
      if (value === '') throw invalid(key, `Invalid ${key}: must be an object id`);
      if (key === 'starting_after') q.startingAfter = value;
      else q.endingBefore = value;
    } else if (key === 'created' || /^created\[(gt|gte|lt|lte)\]$/.test(key)) {
      if (!/^-?\d+$/.test(value)) throw invalid(key, `Invalid integer: ${value}`);
      const t = Number(value);
      const op = key === 'created' ? 'eq' : key.slice(8, -1);
      if (op === 'eq' || op === 'gte') q.gte = Math.max(q.gte, t);
      if (op === 'eq' || op === 'lte') q.lte = Math.min(q.lte, t);
      if (op === 'gt') q.gte = Math.max(q.gte, t + 1);
      if (op === 'lt') q.lte = Math.min(q.lte, t - 1);
    } else if (e === 'events' && (key === 'type' || key === 'types[]' || /^types\[\d+\]$/.test(key))) {
      types.push(value);
    } else if (e === 'subscriptions' && key === 'status') {
      const allowed = [
        'active',
        'all',
        'canceled',
        'ended',
        'incomplete',
        'incomplete_expired',
        'past_due',
        'paused',
        'trialing',
        'unpaid',
      ];
      if (!allowed.includes(value))
        throw invalid('status', `Invalid status: must be one of ${allowed.join(', ')}`);
      q.status = value === 'ended' ? 'canceled' : value;
    } else if (e === 'balance_transactions' && key === 'payout') {
      if (value === '') throw invalid(key, 'Invalid payout: must be a payout id');
      q.payout = value;
    } else if (key === 'expand[]' || /^expand\[\d+\]$/.test(key)) {
      // Everything the mock serves is already expanded (e.g. invoice.payments).
    } else {
      throw invalid(key, `Received unknown parameter: ${key}`);
    }
  }
  if (q.startingAfter !== undefined && q.endingBefore !== undefined) {
    throw invalid(
      'ending_before',
      'You may only specify one of these parameters: starting_after, ending_before.',
    );
  }
  if (types.length > 0) q.types = eventTypeCodes(types);
  return q;
}

const invalid = (param: string, message: string): ApiError =>
  new ApiError(400, 'invalid_request_error', 'parameter_invalid', message, param);

/**
 * Parses a child list's query (`/v1/subscription_items`, `/v1/invoices/:id/lines`): `limit` and
 * the cursors as on every list, plus the `parent` parameter when the route names its parent in
 * the query (`subscription`); `created` and other parameters are unknown there, as in Stripe.
 */
export function parseChildListQuery(
  params: URLSearchParams,
  parentParam?: string,
): { query: ListQuery; parent?: string } {
  const rest = new URLSearchParams();
  let parent: string | undefined;
  for (const [key, value] of params) {
    if (parentParam !== undefined && key === parentParam) parent = value;
    else if (key === 'created' || key.startsWith('created['))
      throw invalid(key, `Received unknown parameter: ${key}`);
    else rest.append(key, value);
  }
  return { query: parseListQuery('invoices', rest), ...(parent !== undefined ? { parent } : {}) };
}
