/** The transform's public surface for run-all, the publisher and the quality checks. */

export { type GoldModelSummary, goldModelSummary } from '../state/gold-state.js';
export { BronzeParseError, TransformError } from './errors.js';
export {
  goldPublishInputs,
  runTransform,
  type TransformOptions,
  type TransformReport,
} from './run-transform.js';
