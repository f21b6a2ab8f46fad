// The worker-local cache: attribute sets -> value-word offset of their shared
// series, without building a string key (the same structure as the core's
// interner, reduced to what a cache that never forgets needs).
//
// A path from the root is a sequence of (key, value) pairs; the node reached
// holds the offset of the set that sequence spells. Lookups walk the caller's
// object in `for...in` order, comparing key strings by pointer and looking
// values up in Maps keyed by the caller's own values (V8 caches a string's
// hash in the string). Each node remembers its main key and the value and
// child of its last step, so a repeated set costs pointer compares.
//
//   root --method--> {GET: n1, POST: n2}
//   n1   --route-->  {"/a": n3}
//   n3   (off = 4242)
//
// The canonical (sorted) path and the orders callers actually use are both
// stored; array values are matched by an encoded key.

const NO_VALUE: unknown = Symbol('no value');

export function arrayKey(array: readonly unknown[]): string {
  return JSON.stringify(array);
}

export class TrieNode {
  key: string | undefined = undefined;
  values: Map<unknown, TrieNode> | undefined = undefined;
  others: Map<string, Map<unknown, TrieNode>> | undefined = undefined;
  arrays: Map<string, Map<string, TrieNode>> | undefined = undefined;
  lastValue: unknown = NO_VALUE;
  lastChild: TrieNode | undefined = undefined;
  /** Value-word offset of the set ending here, or -1. */
  off = -1;
}

export class AttributeTrie {
  readonly root = new TrieNode();
  /** Paths stored (canonical and caller orders). */
  paths = 0;

  /** The hot lookup: -1 when this exact (key, value) sequence is not known. */
  find(attributes: object): number {
    let node = this.root;
    for (const key in attributes) {
      const value = (attributes as Record<string, unknown>)[key];
      if (key === node.key) {
        if (value === node.lastValue) {
          node = node.lastChild as TrieNode;
          continue;
        }
        const next = (node.values as Map<unknown, TrieNode>).get(value);
        if (next !== undefined) {
          node.lastValue = value;
          node.lastChild = next;
          node = next;
          continue;
        }
      }
      const next = this._step(node, key, value);
      if (next === undefined) return -1;
      node = next;
    }
    return node.off;
  }

  private _step(node: TrieNode, key: string, value: unknown): TrieNode | undefined {
    if (key !== node.key) {
      const next = node.others?.get(key)?.get(value);
      if (next !== undefined) return next;
    }
    if (typeof value !== 'object' || value === null || !Array.isArray(value)) return undefined;
    return node.arrays?.get(key)?.get(arrayKey(value));
  }

  /** Looks a sequence of pairs up (in `order` when given); -1 when absent. */
  findPairs(keys: readonly string[], values: readonly unknown[], order?: readonly number[]): number {
    let node: TrieNode | undefined = this.root;
    for (let i = 0; i < keys.length && node !== undefined; i++) {
      const j = order === undefined ? i : order[i];
      const value = values[j];
      node = Array.isArray(value)
        ? node.arrays?.get(keys[j])?.get(arrayKey(value))
        : node.key === keys[j]
          ? node.values?.get(value)
          : node.others?.get(keys[j])?.get(value);
    }
    return node === undefined ? -1 : node.off;
  }

  /** Stores a path to `off` (in `order` when given). */
  insert(keys: readonly string[], values: readonly unknown[], off: number, order?: readonly number[]): void {
    let node = this.root;
    for (let i = 0; i < keys.length; i++) {
      const j = order === undefined ? i : order[i];
      node = this._childOrCreate(node, keys[j], values[j]);
    }
    if (node.off === -1) this.paths++;
    node.off = off;
  }

  private _childOrCreate(node: TrieNode, key: string, value: unknown): TrieNode {
    let map: Map<unknown, TrieNode>;
    let lookup: unknown = value;
    if (Array.isArray(value)) {
      node.arrays ??= new Map();
      let m = node.arrays.get(key);
      if (m === undefined) node.arrays.set(key, (m = new Map()));
      map = m as Map<unknown, TrieNode>;
      lookup = arrayKey(value);
    } else if (node.key === undefined || node.key === key) {
      node.key = key;
      map = node.values ??= new Map();
    } else {
      node.others ??= new Map();
      let m = node.others.get(key);
      if (m === undefined) node.others.set(key, (m = new Map()));
      map = m;
    }
    let child = map.get(lookup);
    if (child === undefined) map.set(lookup, (child = new TrieNode()));
    return child;
  }
}
