/** The transform's public surface for run-all, the publisher and the quality checks. */

export { BronzeParseError, TransformError } from './errors.js';
export { type GoldModelSummary, goldModelSummary } from './gold-build.js';
export {
  goldPublishInputs,
  runTransform,
  type TransformOptions,
  type TransformReport,
} from './run-transform.js';
