// Building blocks shared with fastmeter's own companion packages
// (@fastmeter/workers). Not part of the public API: no semver promise.
export { Warnings, describe } from './common/warnings.js';
export { type AttributeLimits, type NormalizedAttributes, arrayKey, normalizeAttributes } from './intern/normalize.js';
export { AttributeTrie } from './intern/trie.js';
export { accept } from './api/record.js';
export { bucketIndex } from './storage/histogram-cells.js';
