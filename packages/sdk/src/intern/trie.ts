// Attribute sets -> series ids without building a string key.
//
// A path from the root is a sequence of (key, value) pairs; where it ends is
// the series id of the set it spells. Lookups walk an object's own enumerable
// pairs in `for...in` order, comparing the caller's key strings with ours
// (internalized, so `===` is a pointer compare) and looking values up in Maps
// keyed by the caller's own values (V8 caches a string's hash in the string, so
// `Map.get` on an existing string hashes nothing):
//
//   root ─method─► {GET: n1, POST: n2}
//   n1   ─route──► {"/a": n3, "/b": Tail[status=200] → 19}
//   n3   ─status─► {200: 17, 500: 18}                      (leaves are small integers)
//
// Memory per series is one Map entry (a leaf id) or one Tail (the rest of a
// path nobody else shares, stored inline instead of a chain of nodes). Each
// node remembers the key most of its children are reached by (`key`) and its
// last successful step (`lastValue`/`lastChild`): objects of one shape walk one
// Map per attribute, and repeated values a pointer compare.
//
// A key set has one primary path order (the key order of its first caller;
// attributes are exported in it). Callers using another order get alias paths
// whose leaves are stored as ~sid (negative), so that rebuilding attributes
// visits each series once. Array values are matched by an encoded key.
import { arrayKey } from './normalize.js';

const hasOwn = Object.prototype.hasOwnProperty;

/** A value no caller can pass: the empty state of `TrieNode.lastValue`. */
const NO_VALUE: unknown = Symbol('no value');

export type Child = TrieNode | Tail | number;

export class TrieNode {
  /** The key `values` is for. */
  key: string | undefined = undefined;
  values: Map<unknown, Child> | null = null;
  /** Children reached by other keys: key -> value -> child. */
  others: Map<string, Map<unknown, Child>> | null = null;
  /** Children reached by array values: key -> encoded array -> child. */
  arrays: Map<string, Map<string, Child>> | null = null;
  /** The array each `arrays` entry was created with (key -> encoded -> copy): exported exactly, NaN included. */
  arrayCopies: Map<string, Map<string, readonly unknown[]>> | null = null;
  lastValue: unknown = NO_VALUE;
  lastChild: Child | undefined = undefined;
  /** The series (or ~series for an alias) of the set ending here, or NONE. */
  sid = NONE;
  /** Always null: tells nodes from tails with one field load. */
  readonly rest: null = null;
}

/** No series ends at this node. (~sid of an alias is negative, so NONE must not be -1.) */
export const NONE = -0x7fffffff;

/**
 * Leaves are small integers (V8 Smis), in three ranges:
 *
 *   [0, 2^29)            a series id: the set's primary path
 *   [-2^29, -1]          ~sid: an alias path (another key order of the set)
 *   [-2^30, -2^29 - 1]   a dirty alias: a walk whose set needed cleaning (keys dropped, values
 *                        truncated); its owner keeps what to count per measurement, by index
 *
 * Lookups return the series id for the first two and the leaf itself (a number below -1) for a
 * dirty alias, so that the caller's one `< 0` test covers misses and dirty hits alike.
 */
export const MAX_LEAF_ID = 2 ** 29;
const DIRTY_TOP = -(2 ** 29) - 1;

/** The leaf of dirty alias number `index` (index < 2^29 - 1). */
export function dirtyLeaf(index: number): number {
  return DIRTY_TOP - index;
}

/** The index of a dirty alias from what a lookup returned (a number below -1). */
export function dirtyIndex(found: number): number {
  return DIRTY_TOP - found;
}

/** The remaining pairs of a single path, stored inline. */
export class Tail {
  constructor(
    readonly keys: readonly string[],
    readonly rest: unknown[],
    /** Series id, or ~sid for an alias path. */
    readonly sid: number,
  ) {}
}

/** An array value inside a tail: compared by its encoded key. */
class ArrayValue {
  constructor(
    readonly key: string,
    readonly copy: readonly unknown[],
  ) {}
}

/** A leaf reached with more keys to come: any further key misses. */
const TERMINAL = new TrieNode();

function same(stored: unknown, value: unknown): boolean {
  if (stored instanceof ArrayValue) return Array.isArray(value) && arrayKey(value) === stored.key;
  return stored === value || (stored !== stored && value !== value);
}

/** Decodes a leaf into the series id (primary or alias), the leaf itself (dirty alias), or -1 for none. */
function leafSid(leaf: number): number {
  if (leaf <= DIRTY_TOP) return leaf === NONE ? -1 : leaf;
  return leaf < 0 ? ~leaf : leaf;
}

export class AttributeTrie {
  readonly root = new TrieNode();

  /** The hot lookup: -1 when this exact (key, value) sequence is not stored. */
  find(attributes: object): number {
    let node = this.root;
    let leaf = NONE;
    let tail: Tail | null = null;
    let t = 0;
    for (const key in attributes) {
      // Own keys only (as sdk-metrics' Object.keys): an inherited key is not part of the set
      // and its getter is never called. bench/micro/own-keys.mjs --cpu (Node 20): this check
      // adds ~1 ns per key to a bare walk, Object.keys or Object.hasOwn ~7 ns; measured on the
      // whole record path (micro/compare-builds.mjs --cpu) fresh and reused 3-attribute calls
      // cost the same as without it (0.99x, 1.00x).
      if (!hasOwn.call(attributes, key)) continue;
      const value = (attributes as Record<string, unknown>)[key];
      if (tail !== null) {
        if (key !== tail.keys[t] || (tail.rest[t] !== value && !same(tail.rest[t], value))) return -1;
        t++;
        continue;
      }
      let child: Child | undefined;
      if (key === node.key) {
        if (value === node.lastValue) {
          child = node.lastChild as Child;
        } else {
          child = (node.values as Map<unknown, Child>).get(value);
          if (child === undefined) {
            child = step(node, key, value);
          } else {
            // Only primitives are ever found in `values` (arrays go to `arrays`), so caching is safe.
            node.lastValue = value;
            node.lastChild = child;
          }
        }
      } else {
        child = step(node, key, value);
      }
      if (child === undefined) return -1;
      if (typeof child === 'number') {
        leaf = child;
        node = TERMINAL;
      } else if (child.rest !== null) {
        tail = child;
        t = 0;
      } else {
        node = child;
      }
    }
    if (tail !== null) return t === tail.keys.length ? leafSid(tail.sid) : -1;
    return leafSid(node === TERMINAL ? leaf : node.sid);
  }

  /**
   * `find` for streams whose view keeps only some keys: other keys are skipped while walking.
   * Kept as a separate copy of the loop so that the unfiltered `find` carries no filter test.
   */
  findFiltered(attributes: object, keep: (key: string) => boolean): number {
    let node = this.root;
    let leaf = NONE;
    let tail: Tail | null = null;
    let t = 0;
    for (const key in attributes) {
      if (!hasOwn.call(attributes, key) || !keep(key)) continue;
      const value = (attributes as Record<string, unknown>)[key];
      if (tail !== null) {
        if (key !== tail.keys[t] || (tail.rest[t] !== value && !same(tail.rest[t], value))) return -1;
        t++;
        continue;
      }
      const child = key === node.key ? ((node.values as Map<unknown, Child>).get(value) ?? step(node, key, value)) : step(node, key, value);
      if (child === undefined) return -1;
      if (typeof child === 'number') {
        leaf = child;
        node = TERMINAL;
      } else if (child.rest !== null) {
        tail = child;
        t = 0;
      } else {
        node = child;
      }
    }
    if (tail !== null) return t === tail.keys.length ? leafSid(tail.sid) : -1;
    return leafSid(node === TERMINAL ? leaf : node.sid);
  }

  /** Looks an explicit sequence of pairs up (the miss path); -1 when absent. */
  findPairs(keys: readonly string[], values: readonly unknown[]): number {
    let node: TrieNode = this.root;
    for (let i = 0; i < keys.length; i++) {
      const child = step(node, keys[i], values[i]);
      if (child === undefined) return -1;
      if (typeof child === 'number') return i === keys.length - 1 ? leafSid(child) : -1;
      if (child.rest !== null) {
        const tail = child;
        const rest = keys.length - i - 1;
        if (tail.keys.length !== rest) return -1;
        for (let j = 0; j < rest; j++) if (tail.keys[j] !== keys[i + 1 + j] || !same(tail.rest[j], values[i + 1 + j])) return -1;
        return leafSid(tail.sid);
      }
      node = child;
    }
    return leafSid(node.sid);
  }

  /** Stores a path to `leaf` (a series id, or ~id for an alias). Returns false if the path exists. */
  insert(keys: readonly string[], values: readonly unknown[], leaf: number): boolean {
    let node = this.root;
    for (let i = 0; i < keys.length; i++) {
      const map = mapFor(node, keys[i], values[i], true) as Map<unknown, Child>;
      const k = mapKey(values[i]);
      const child = map.get(k);
      const last = i === keys.length - 1;
      if (child === undefined) {
        map.set(k, last ? leaf : new Tail(suffix(keys, i + 1), values.slice(i + 1).map(tailValue), leaf));
        if (Array.isArray(values[i])) keepArrayCopy(node, keys[i], k as string, values[i] as unknown[]);
        return true;
      }
      node.lastValue = NO_VALUE;
      node.lastChild = undefined;
      if (typeof child === 'number') {
        if (last) return false;
        // A longer set shares this complete one: the leaf becomes a node.
        const upgraded = new TrieNode();
        upgraded.sid = child;
        map.set(k, upgraded);
        node = upgraded;
        continue;
      }
      if (child.rest !== null) {
        if (last) {
          // A shorter set ends where a tail starts: the tail moves below a node.
          const split = splitTail(child);
          split.sid = leaf;
          map.set(k, split);
          return true;
        }
        if (child.keys.length === keys.length - i - 1 && child.keys.every((key, j) => key === keys[i + 1 + j] && same(child.rest[j], values[i + 1 + j]))) {
          return false;
        }
        const split = splitTail(child);
        map.set(k, split);
        node = split;
        continue;
      }
      node = child;
    }
    if (node.sid !== NONE) return false;
    node.sid = leaf;
    return true;
  }

  /** Removes every path whose leaf is dead: `dead` gets what a lookup would return (a sid, or a dirty leaf). */
  remove(dead: (found: number) => boolean): number {
    let removed = 0;
    const isDead = (leaf: number) => leaf !== NONE && dead(leafSid(leaf));
    const prune = (node: TrieNode): void => {
      node.lastValue = NO_VALUE;
      node.lastChild = undefined;
      if (isDead(node.sid)) {
        node.sid = NONE;
        removed++;
      }
      const visit = (map: Map<unknown, Child>) => {
        for (const [k, child] of map) {
          if (typeof child === 'number' || child.rest !== null) {
            if (isDead(typeof child === 'number' ? child : child.sid)) {
              map.delete(k);
              removed++;
            }
            continue;
          }
          prune(child);
          if (child.sid === NONE && isEmpty(child)) map.delete(k);
        }
      };
      if (node.values !== null) visit(node.values);
      if (node.others !== null) for (const m of node.others.values()) visit(m);
      if (node.arrays !== null) {
        for (const [key, m] of node.arrays) {
          visit(m as Map<unknown, Child>);
          const copies = node.arrayCopies?.get(key);
          if (copies !== undefined) for (const k of copies.keys()) if (!m.has(k)) copies.delete(k);
        }
      }
    };
    prune(this.root);
    return removed;
  }

  /** Calls `visit(sid, keys, values)` for every series' primary path (pairs in its stored order). */
  forEach(visit: (sid: number, keys: readonly string[], values: readonly unknown[]) => void): void {
    const keys: string[] = [];
    const values: unknown[] = [];
    const emit = (leaf: number) => {
      if (leaf >= 0) visit(leaf, keys, values);
    };
    const walk = (node: TrieNode): void => {
      emit(node.sid);
      if (node.values !== null) for (const [v, child] of node.values) down(node.key as string, v, child);
      if (node.others !== null) for (const [key, m] of node.others) for (const [v, child] of m) down(key, v, child);
      if (node.arrays !== null) {
        for (const [key, m] of node.arrays) {
          const copies = node.arrayCopies?.get(key);
          for (const [k, child] of m) down(key, copies?.get(k)?.slice() ?? JSON.parse(k), child);
        }
      }
    };
    const down = (key: string, value: unknown, child: Child): void => {
      keys.push(key);
      values.push(value);
      if (typeof child === 'number') emit(child);
      else if (child.rest !== null) {
        if (child.sid >= 0) {
          for (let i = 0; i < child.keys.length; i++) {
            keys.push(child.keys[i]);
            const stored = child.rest[i];
            values.push(stored instanceof ArrayValue ? stored.copy.slice() : stored);
          }
          emit(child.sid);
          keys.length -= child.keys.length;
          values.length -= child.keys.length;
        }
      } else walk(child);
      keys.pop();
      values.pop();
    };
    walk(this.root);
  }
}

/** One step by (key, value) off the fast path: other keys, array values. */
function step(node: TrieNode, key: string, value: unknown): Child | undefined {
  const map = mapFor(node, key, value, false);
  return map === undefined ? undefined : (map as Map<unknown, Child>).get(mapKey(value));
}

function mapFor(node: TrieNode, key: string, value: unknown, create: boolean): Map<unknown, Child> | Map<string, Child> | undefined {
  if (Array.isArray(value)) {
    if (node.arrays === null) {
      if (!create) return undefined;
      node.arrays = new Map();
    }
    let m = node.arrays.get(key);
    if (m === undefined && create) node.arrays.set(key, (m = new Map()));
    return m;
  }
  if (node.key === key || (node.key === undefined && create)) {
    node.key = key;
    if (node.values === null && create) node.values = new Map();
    return node.values ?? undefined;
  }
  if (node.others === null) {
    if (!create) return undefined;
    node.others = new Map();
  }
  let m = node.others.get(key);
  if (m === undefined && create) node.others.set(key, (m = new Map()));
  return m;
}

function mapKey(value: unknown): unknown {
  return Array.isArray(value) ? arrayKey(value) : value;
}

function tailValue(value: unknown): unknown {
  return Array.isArray(value) ? new ArrayValue(arrayKey(value), value.slice()) : value;
}

/** A node holding the tail's first pair, with the rest of the tail below it. */
function splitTail(tail: Tail): TrieNode {
  const node = new TrieNode();
  const first = tail.rest[0];
  const value = first instanceof ArrayValue ? first.copy : first;
  const map = mapFor(node, tail.keys[0], value, true) as Map<unknown, Child>;
  map.set(mapKey(value), tail.keys.length === 1 ? tail.sid : new Tail(suffix(tail.keys, 1), tail.rest.slice(1), tail.sid));
  if (first instanceof ArrayValue) keepArrayCopy(node, tail.keys[0], first.key, first.copy);
  return node;
}

/** Remembers the array a node's array entry was created with (its encoded key loses NaN and ±Infinity). */
function keepArrayCopy(node: TrieNode, key: string, encoded: string, array: readonly unknown[]): void {
  node.arrayCopies ??= new Map();
  let copies = node.arrayCopies.get(key);
  if (copies === undefined) node.arrayCopies.set(key, (copies = new Map()));
  if (!copies.has(encoded))
    copies.set(
      encoded,
      array.map(e => (e === undefined ? null : e)),
    );
}

// Tails of one key set end with the same keys: share one array per (key order, offset).
const suffixes = new WeakMap<readonly string[], (readonly string[])[]>();
function suffix(keys: readonly string[], from: number): readonly string[] {
  let list = suffixes.get(keys);
  if (list === undefined) suffixes.set(keys, (list = []));
  let s = list[from];
  if (s === undefined) {
    s = keys.slice(from);
    list[from] = s;
    suffixes.set(s, []);
  }
  return s;
}

function isEmpty(node: TrieNode): boolean {
  const none = (m: Map<unknown, unknown> | null) => m === null || m.size === 0;
  if (!none(node.values)) return false;
  if (node.others !== null) for (const m of node.others.values()) if (m.size > 0) return false;
  if (node.arrays !== null) for (const m of node.arrays.values()) if (m.size > 0) return false;
  return true;
}
