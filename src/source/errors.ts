/**
 * Typed failures of the Stripe protocol client. Messages name the entity, the URL path and Stripe's
 * error fields, never the API key.
 */

/** Stripe's error object: `{"error": {"type", "code", "message", "param"}}`. */
export interface StripeErrorBody {
  readonly type?: string;
  readonly code?: string;
  readonly message?: string;
  readonly param?: string;
}

/** A non-retryable (or finally failed) HTTP answer from the API. */
export class StripeApiError extends Error {
  override readonly name: string = 'StripeApiError';
  constructor(
    readonly status: number,
    readonly entity: string,
    readonly path: string,
    readonly stripe: StripeErrorBody,
    message?: string,
  ) {
    super(
      message ??
        `${path} (${entity}): HTTP ${status}${stripe.type ? ` ${stripe.type}` : ''}${
          stripe.code ? `/${stripe.code}` : ''
        }: ${stripe.message ?? 'no error message'}`,
    );
  }
}

/** 401: the API key was refused. Retrying cannot help. */
export class ApiKeyRejectedError extends StripeApiError {
  override readonly name = 'ApiKeyRejectedError';
  constructor(entity: string, path: string, stripe: StripeErrorBody) {
    super(
      401,
      entity,
      path,
      stripe,
      `API key rejected by the source API (HTTP 401 on ${path}, ${entity}): ${
        stripe.message ?? 'invalid API key'
      }. Check API_KEY.`,
    );
  }
}

/** Network errors, timeouts, 429 or 5xx that outlasted every retry. */
export class RetriesExhaustedError extends Error {
  override readonly name = 'RetriesExhaustedError';
  constructor(
    readonly entity: string,
    readonly path: string,
    readonly attempts: number,
    readonly lastStatus: number | undefined,
    readonly lastError: string,
  ) {
    super(`${path} (${entity}): still failing after ${attempts} attempts: ${lastError}`);
  }
}

/** The response was not the JSON list Stripe's protocol promises. */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  constructor(
    readonly entity: string,
    readonly path: string,
    detail: string,
  ) {
    super(`${path} (${entity}): unexpected response: ${detail}`);
  }
}
