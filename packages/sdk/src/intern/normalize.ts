// The miss path of interning: read an attributes object once, validate every
// key and value, and produce the accepted set in the caller's order plus the
// canonical (sorted) order. Nothing here runs for a series that already exists.
import type { AttributeValue } from '@opentelemetry/api';
import { describe } from '../common/warnings.js';

export interface AttributeLimits {
  /** Longer string values (and string array elements) are truncated, as OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT does. */
  valueLengthLimit: number;
  /** At most this many attributes per set; past it the set keeps its smallest keys (code-unit order), whatever the caller's order. */
  countLimit: number;
}

/** What a problem with one attribute is counted as (Health.attributesDropped). */
export const AttributeIssue = {
  UNDEFINED_VALUE: 'undefined_value',
  INVALID_VALUE: 'invalid_value',
  PROTO_KEY: 'proto_key',
  TRUNCATED: 'truncated',
  TOO_MANY: 'too_many_attributes',
} as const;
export type AttributeIssue = (typeof AttributeIssue)[keyof typeof AttributeIssue];

export interface NormalizedAttributes {
  /** Every own enumerable (key, value) pair, in `for...in` order: the path later lookups will walk. */
  readonly walkKeys: string[];
  readonly walkValues: unknown[];
  /** True when the accepted set equals the walked pairs, so the walked path may be cached as is. */
  readonly clean: boolean;
  /**
   * True when the walked pairs always clean up to the same set with the same issues (every value a
   * primitive or a valid array: no caller object would be kept alive), so the walked path may be
   * cached with its issues (a dirty alias).
   */
  readonly cacheable: boolean;
  /** Accepted keys and values, in the caller's order. */
  readonly keys: string[];
  readonly values: AttributeValue[];
  /** Indices into keys/values in canonical (sorted key) order. */
  readonly canonical: number[];
  /** Issues found, for counting and the rate-limited warning, and the key each is about. */
  readonly issues: AttributeIssue[];
  readonly issueKeys: string[];
}

const hasOwn = Object.prototype.hasOwnProperty;

/** Longest truncated string a cached dirty walk may hold (longer ones take the slow path every call). */
const MAX_DIRTY_VALUE_LENGTH = 4096;

/** Reads `raw` exactly once. Throws only what the caller's object throws (getters, proxies). */
export function normalizeAttributes(raw: object, limits: AttributeLimits, keep: ((key: string) => boolean) | null = null): NormalizedAttributes {
  const walkKeys: string[] = [];
  const walkValues: unknown[] = [];
  const keys: string[] = [];
  const values: AttributeValue[] = [];
  const issues: AttributeIssue[] = [];
  const issueKeys: string[] = [];
  let clean = true;
  let cacheable = true;
  for (const key in raw) {
    // Inherited keys are not part of the set (their getters are never called); the trie skips them too.
    if (!hasOwn.call(raw, key)) continue;
    if (keep !== null && !keep(key)) continue; // removed by the view: neither walked nor kept
    const value: unknown = (raw as Record<string, unknown>)[key];
    walkKeys.push(key);
    walkValues.push(value);
    const before = issues.length;
    const accepted = acceptValue(value, limits, issues);
    while (issueKeys.length < issues.length) issueKeys.push(key);
    if (accepted === undefined) {
      clean = false;
      if (value !== undefined && value !== null) cacheable = false; // an object, symbol, ...: never cached
      continue;
    }
    if (key === '__proto__') {
      issues.push(AttributeIssue.PROTO_KEY);
      issueKeys.push(key);
      clean = cacheable = false;
      continue;
    }
    if (issues.length !== before) {
      clean = false; // truncated: the walked value is not the stored one
      // A dirty alias keeps the walked (untruncated) value alive: only short ones are worth it.
      if (typeof value !== 'string' || value.length > MAX_DIRTY_VALUE_LENGTH) cacheable = false;
    }
    keys.push(key);
    values.push(accepted);
  }
  const canonical = keys.map((_, i) => i);
  canonical.sort((a, b) => (keys[a] < keys[b] ? -1 : 1));
  const norm = { walkKeys, walkValues, clean, cacheable, keys, values, canonical, issues, issueKeys };
  return keys.length > limits.countLimit ? truncated(norm, limits.countLimit) : norm;
}

/**
 * Past the count limit, the set keeps its `limit` smallest keys: which keys
 * survive depends on the set only, so every key order of one set is one series
 * (in the main thread and through @fastmeter/workers alike). O(n log n).
 */
function truncated(all: NormalizedAttributes, limit: number): NormalizedAttributes {
  const { keys: allKeys, values: allValues, canonical: sorted, issues, issueKeys } = all;
  const kept = new Uint8Array(allKeys.length);
  for (let i = 0; i < limit; i++) kept[sorted[i]] = 1;
  for (let i = limit; i < sorted.length; i++) {
    issues.push(AttributeIssue.TOO_MANY);
    issueKeys.push(allKeys[sorted[i]]);
  }
  const keys: string[] = [];
  const values: AttributeValue[] = [];
  const position = new Int32Array(allKeys.length);
  for (let i = 0; i < allKeys.length; i++) {
    if (kept[i] === 0) continue;
    position[i] = keys.length;
    keys.push(allKeys[i]);
    values.push(allValues[i]);
  }
  const canonical = sorted.slice(0, limit).map(i => position[i]);
  return { walkKeys: all.walkKeys, walkValues: all.walkValues, clean: false, cacheable: all.cacheable, keys, values, canonical, issues, issueKeys };
}

/** The warning for one attribute issue, naming the key. */
export function describeIssue(issue: AttributeIssue, key: string, limits: AttributeLimits): string {
  const k = describe(key);
  switch (issue) {
    case AttributeIssue.UNDEFINED_VALUE:
      return `attribute ${k} removed: its value is undefined or null`;
    case AttributeIssue.INVALID_VALUE:
      return `attribute ${k} removed: its value must be a string, number, boolean or an array of one of them (not mixed)`;
    case AttributeIssue.PROTO_KEY:
      return `attribute ${k} removed: "__proto__" keys are never copied`;
    case AttributeIssue.TRUNCATED:
      return `attribute ${k}: value truncated to ${limits.valueLengthLimit} characters (attributeValueLengthLimit)`;
    default:
      return `attribute ${k} removed: more than ${limits.countLimit} attributes (attributeCountLimit); the set keeps its smallest keys`;
  }
}

function acceptValue(value: unknown, limits: AttributeLimits, issues: AttributeIssue[]): AttributeValue | undefined {
  switch (typeof value) {
    case 'string':
      if (value.length > limits.valueLengthLimit) {
        issues.push(AttributeIssue.TRUNCATED);
        return value.slice(0, limits.valueLengthLimit);
      }
      return value;
    case 'number':
    case 'boolean':
      return value;
    case 'undefined':
      issues.push(AttributeIssue.UNDEFINED_VALUE);
      return undefined;
    case 'object':
      if (value === null) {
        issues.push(AttributeIssue.UNDEFINED_VALUE);
        return undefined;
      }
      if (Array.isArray(value)) return acceptArray(value, limits, issues);
      issues.push(AttributeIssue.INVALID_VALUE);
      return undefined;
    default: // symbol, bigint, function
      issues.push(AttributeIssue.INVALID_VALUE);
      return undefined;
  }
}

/** Arrays must be homogeneous (string, number or boolean elements; null/undefined allowed). Always copied. */
function acceptArray(array: unknown[], limits: AttributeLimits, issues: AttributeIssue[]): AttributeValue | undefined {
  let kind: string | undefined;
  const copy: unknown[] = new Array(array.length);
  for (let i = 0; i < array.length; i++) {
    let element = array[i];
    if (element === undefined || element === null) {
      copy[i] = null;
      continue;
    }
    const t = typeof element;
    if ((t !== 'string' && t !== 'number' && t !== 'boolean') || (kind !== undefined && kind !== t)) {
      issues.push(AttributeIssue.INVALID_VALUE);
      return undefined;
    }
    kind = t;
    if (t === 'string' && (element as string).length > limits.valueLengthLimit) {
      issues.push(AttributeIssue.TRUNCATED);
      element = (element as string).slice(0, limits.valueLengthLimit);
    }
    copy[i] = element;
  }
  return copy as AttributeValue;
}

/** The key under which an array value is interned: unambiguous across element types. */
export function arrayKey(array: readonly unknown[]): string {
  return JSON.stringify(array);
}
