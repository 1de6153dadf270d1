/** The quality checks' public surface (SPEC section 9). */
export { renderQualityReport } from './render-report.js';
export { type QualityOptions, runQuality } from './run-quality.js';
export type { CheckResult, QualityReport, QualityScope, Severity } from './types.js';
