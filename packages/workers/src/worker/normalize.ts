// The miss path of the worker-local cache: read an attributes object once,
// keep valid pairs (the core's rules: string, number, boolean and homogeneous
// arrays of them; undefined and null values, other objects and `__proto__` keys
// are removed), and give both the caller's order and the canonical one.
// Count and length limits are applied by the main provider when it binds the
// series, exactly as for its own measurements.
import type { AttributeValue } from '@opentelemetry/api';

export interface NormalizedAttributes {
  /** Every (key, value) pair `for...in` yields: the path later lookups walk. */
  readonly walkKeys: string[];
  readonly walkValues: unknown[];
  /** True when the kept set equals the walked pairs (so the walked path may be cached). */
  readonly clean: boolean;
  readonly keys: string[];
  readonly values: AttributeValue[];
  /** Indices into keys/values in canonical (sorted key) order. */
  readonly canonical: number[];
  /** Number of pairs removed. */
  readonly removed: number;
}

const hasOwn = Object.prototype.hasOwnProperty;

export function normalizeAttributes(raw: object): NormalizedAttributes {
  const walkKeys: string[] = [];
  const walkValues: unknown[] = [];
  const keys: string[] = [];
  const values: AttributeValue[] = [];
  let removed = 0;
  for (const key in raw) {
    const value: unknown = (raw as Record<string, unknown>)[key];
    walkKeys.push(key);
    walkValues.push(value);
    const accepted = hasOwn.call(raw, key) && key !== '__proto__' ? acceptValue(value) : undefined;
    if (accepted === undefined) {
      removed++;
      continue;
    }
    keys.push(key);
    values.push(accepted);
  }
  const canonical = keys.map((_, i) => i);
  canonical.sort((a, b) => (keys[a] < keys[b] ? -1 : 1));
  return { walkKeys, walkValues, clean: removed === 0, keys, values, canonical, removed };
}

function acceptValue(value: unknown): AttributeValue | undefined {
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
      return value;
    case 'object':
      return Array.isArray(value) ? acceptArray(value) : undefined;
    default:
      return undefined;
  }
}

/** Arrays must be homogeneous (string, number or boolean elements; null/undefined kept as null). Always copied. */
function acceptArray(array: unknown[]): AttributeValue | undefined {
  let kind: string | undefined;
  const copy: unknown[] = new Array(array.length);
  for (let i = 0; i < array.length; i++) {
    const element = array[i];
    if (element === undefined || element === null) {
      copy[i] = null;
      continue;
    }
    const t = typeof element;
    if ((t !== 'string' && t !== 'number' && t !== 'boolean') || (kind !== undefined && kind !== t)) return undefined;
    kind = t;
    copy[i] = element;
  }
  return copy as AttributeValue;
}
