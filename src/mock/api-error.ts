/**
 * A Stripe error response: `{error: {type, code, message, param}}` with its HTTP status.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    readonly code: string | null,
    message: string,
    readonly param: string | null = null,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** The response body Stripe sends for this error. */
  body(): { error: Record<string, string | null> } {
    const error: Record<string, string | null> = { type: this.type, message: this.message };
    if (this.code !== null) error['code'] = this.code;
    if (this.param !== null) error['param'] = this.param;
    return { error };
  }
}

export const invalidParam = (param: string, message: string): ApiError =>
  new ApiError(400, 'invalid_request_error', 'parameter_invalid_integer', message, param);

export const resourceMissing = (status: number, what: string, id: string, param: string | null): ApiError =>
  new ApiError(status, 'invalid_request_error', 'resource_missing', `No such ${what}: '${id}'`, param);
