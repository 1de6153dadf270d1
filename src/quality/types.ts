/** `error` fails the run (and blocks publishing); `warn` is reported only. */
export type Severity = 'error' | 'warn';

/** The outcome of one named check (SPEC section 9). */
export interface CheckResult {
  /** `schema.silver.charges`, `ref.charges.customer_id`, ... exactly as the spec names them. */
  readonly name: string;
  readonly severity: Severity;
  readonly passed: boolean;
  /** What a person needs to act: which ids, which day, which amounts (lists capped, with counts). */
  readonly details: Record<string, unknown>;
  /** Wall time of the check, seconds. */
  seconds?: number;
}

/** What `runQuality` returns and the run manifest stores under `quality`. */
export interface QualityReport {
  /** True when no error-severity check failed. */
  readonly passed: boolean;
  /** What the checks read: what changed since the last passing run, or everything. */
  readonly scope: QualityScope;
  readonly checks: CheckResult[];
}

/** Which Bronze the Bronze -> Silver reconciliation reads: recently changed partitions, or all. */
export type QualityScope = 'changed' | 'all';

/** A check about to run: its name and severity are known before it runs (and if it throws). */
export interface PlannedCheck {
  readonly name: string;
  readonly severity: Severity;
  run(): Promise<CheckResult>;
}
