// The miss path of interning: read an attributes object once, validate every
// key and value, and produce the accepted set in the caller's order plus the
// canonical (sorted) order. Nothing here runs for a series that already exists.
import type { AttributeValue } from '@opentelemetry/api';

export interface AttributeLimits {
  /** Longer string values (and string array elements) are truncated, as OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT does. */
  valueLengthLimit: number;
  /** At most this many attributes per set; extra keys (in the caller's order) are dropped. */
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
  /** Every (key, value) pair `for...in` yields, in that order: the path later lookups will walk. */
  readonly walkKeys: string[];
  readonly walkValues: unknown[];
  /** True when the accepted set equals the walked pairs, so the walked path may be cached. */
  readonly clean: boolean;
  /** Accepted keys and values, in the caller's order. */
  readonly keys: string[];
  readonly values: AttributeValue[];
  /** Indices into keys/values in canonical (sorted key) order. */
  readonly canonical: number[];
  /** Issues found, for counting and the rate-limited warning. */
  readonly issues: AttributeIssue[];
}

const hasOwn = Object.prototype.hasOwnProperty;

/** Reads `raw` exactly once. Throws only what the caller's object throws (getters, proxies). */
export function normalizeAttributes(raw: object, limits: AttributeLimits, keep: ((key: string) => boolean) | null = null): NormalizedAttributes {
  const walkKeys: string[] = [];
  const walkValues: unknown[] = [];
  const keys: string[] = [];
  const values: AttributeValue[] = [];
  const issues: AttributeIssue[] = [];
  let clean = true;
  for (const key in raw) {
    if (keep !== null && !keep(key)) continue; // removed by the view: neither walked nor kept
    const value: unknown = (raw as Record<string, unknown>)[key];
    walkKeys.push(key);
    walkValues.push(value);
    if (!hasOwn.call(raw, key)) {
      clean = false; // inherited enumerable key: not part of the set
      continue;
    }
    const before = issues.length;
    const accepted = acceptValue(value, limits, issues);
    if (accepted === undefined) {
      clean = false;
      continue;
    }
    if (key === '__proto__') {
      issues.push(AttributeIssue.PROTO_KEY);
      clean = false;
      continue;
    }
    if (keys.length >= limits.countLimit) {
      issues.push(AttributeIssue.TOO_MANY);
      clean = false;
      continue;
    }
    if (issues.length !== before) clean = false; // truncated: the walked value is not the stored one
    keys.push(key);
    values.push(accepted);
  }
  const canonical = keys.map((_, i) => i);
  canonical.sort((a, b) => (keys[a] < keys[b] ? -1 : 1));
  return { walkKeys, walkValues, clean, keys, values, canonical, issues };
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
