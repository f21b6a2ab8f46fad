// Building blocks shared with fastmeter's own companion packages
// (@fastmeter/workers). Not part of the public API: no semver promise.
export { Warnings, describe } from './common/warnings.js';
export { type AttributeLimits, type NormalizedAttributes, arrayKey, describeIssue, normalizeAttributes } from './intern/normalize.js';
export { AttributeTrie } from './intern/trie.js';
export { OVERFLOW_KEY, isOverflowSet } from './intern/series.js';
export { accept } from './api/record.js';
export { bucketIndex } from './storage/histogram-cells.js';
// The read seam for fastmeter's own exporters (@fastmeter/exporters): a reader's
// collection as typed-array columns, and the attributes of each series once.
export {
  READ_SEAM_VERSION,
  ReadSeam,
  type SeamCollection,
  type SeamScope,
  type SeamStream,
  type SeriesObserver,
  readSeamOf,
} from './collect/read-seam.js';
export {
  type ExponentialColumns,
  type HistogramColumns,
  type NumberColumns,
  type SnapshotValues,
  StreamSnapshot,
  pointValue,
} from './collect/snapshot.js';
export type { AggregationSpec } from './aggregate/aggregation.js';
