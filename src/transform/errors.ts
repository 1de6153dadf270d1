/** A Bronze line that is not JSON or has a field of the wrong JSON type. Never silently dropped. */
export class BronzeParseError extends Error {
  override readonly name = 'BronzeParseError';
  constructor(
    readonly key: string,
    readonly line: number,
    readonly reason: string,
  ) {
    super(`bad Bronze record in ${key} at line ${line}: ${reason}`);
  }
}

/** A transform step failed for another reason (the model and the underlying error). */
export class TransformError extends Error {
  override readonly name = 'TransformError';
  constructor(
    readonly model: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`transform ${model}: ${message}`, options);
  }
}
