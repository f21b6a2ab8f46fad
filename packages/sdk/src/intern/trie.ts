// Attribute sets -> series ids without building a string key.
//
// A path from the root is a sequence of (key, value) pairs; the node reached
// holds the series id of the set that sequence spells. Lookups walk the pairs
// in `for...in` order, comparing the caller's key strings with ours (internalized,
// so `===` is a pointer compare) and looking values up in Maps keyed by the
// caller's own values (V8 caches a string's hash in the string, so `Map.get`
// on an existing string costs no hashing).
//
//   root --method--> {GET: n1, POST: n2}
//   n1   --route-->  {"/a": n3, "/b": n4}
//   n3   --status--> {200: leaf(sid 0), 500: leaf(sid 1)}
//
// Each node remembers the key most of its children are reached by (`key`), so
// objects of one shape walk one Map per attribute; other keys go to `others`.
// It also remembers the value and child of its last successful step
// (`lastValue`/`lastChild`): consecutive measurements mostly repeat values, and
// a pointer compare then replaces the Map lookup.
// Array values are matched by an encoded key in `arrays`, never by identity.
// The same series can be reached by several paths: the canonical one (sorted
// keys) and the orders callers actually use, inserted on the miss path.
import { arrayKey } from './normalize.js';

/** A value no caller can pass: the empty state of `TrieNode.lastValue`. */
const NO_VALUE: unknown = Symbol('no value');

export class TrieNode {
  /** The key this node's `values` map is for. */
  key: string | undefined = undefined;
  values: Map<unknown, TrieNode> | undefined = undefined;
  /** Children reached by keys other than `key`: key -> value -> child. */
  others: Map<string, Map<unknown, TrieNode>> | undefined = undefined;
  /** Children reached by array values of `key`, by encoded array. */
  arrays: Map<string, Map<string, TrieNode>> | undefined = undefined;
  /** The last value looked up in `values` and the child it led to (a one-entry cache). */
  lastValue: unknown = NO_VALUE;
  lastChild: TrieNode | undefined = undefined;
  /** The series whose set ends here, or -1. */
  sid = -1;
  /** Number of paths through this node (for pruning on removal). */
  refs = 0;

  childMap(key: string): Map<unknown, TrieNode> | undefined {
    return this.key === key ? this.values : this.others?.get(key);
  }
}

export class AttributeTrie {
  root = new TrieNode();
  /** Number of paths (canonical and alias) stored. */
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
    return node.sid;
  }

  /** A step not served by the node's main key: other keys, array values. */
  private _step(node: TrieNode, key: string, value: unknown): TrieNode | undefined {
    if (key !== node.key) {
      const next = node.others?.get(key)?.get(value);
      if (next !== undefined) return next;
    }
    if (typeof value !== 'object' || value === null || !Array.isArray(value)) return undefined;
    return node.arrays?.get(key)?.get(arrayKey(value));
  }

  /** `find` for streams whose view keeps only some keys: other keys are skipped while walking. */
  findFiltered(attributes: object, keep: (key: string) => boolean): number {
    let node = this.root;
    for (const key in attributes) {
      if (!keep(key)) continue;
      const value = (attributes as Record<string, unknown>)[key];
      const next = key === node.key ? ((node.values as Map<unknown, TrieNode>).get(value) ?? this._step(node, key, value)) : this._step(node, key, value);
      if (next === undefined) return -1;
      node = next;
    }
    return node.sid;
  }

  /** Looks a sequence of pairs up; -1 when absent. */
  findPairs(keys: readonly string[], values: readonly unknown[], order?: readonly number[]): number {
    let node: TrieNode | undefined = this.root;
    for (let i = 0; i < keys.length && node !== undefined; i++) {
      const j = order === undefined ? i : order[i];
      node = this._child(node, keys[j], values[j]);
    }
    return node === undefined ? -1 : node.sid;
  }

  /** Stores a path to `sid`. Returns false if the path already leads to a series. */
  insert(keys: readonly string[], values: readonly unknown[], sid: number, order?: readonly number[]): boolean {
    let node = this.root;
    const visited: TrieNode[] = [node];
    for (let i = 0; i < keys.length; i++) {
      const j = order === undefined ? i : order[i];
      node = this._childOrCreate(node, keys[j], values[j]);
      visited.push(node);
    }
    if (node.sid !== -1) return false;
    node.sid = sid;
    for (const n of visited) n.refs++;
    this.paths++;
    return true;
  }

  /** Removes every path leading to a series in `dead` and prunes emptied nodes. */
  removeSeries(dead: (sid: number) => boolean): number {
    const removed = this._prune(this.root, dead);
    this.paths -= removed;
    return removed;
  }

  private _prune(node: TrieNode, dead: (sid: number) => boolean): number {
    let removed = 0;
    if (node.sid !== -1 && dead(node.sid)) {
      node.sid = -1;
      removed++;
    }
    const visit = (map: Map<unknown, TrieNode>) => {
      for (const [value, child] of map) {
        if (child.refs === 0) continue;
        removed += this._prune(child, dead);
        if (child.refs !== 0) continue;
        map.delete(value);
        if (node.lastChild === child) {
          node.lastChild = undefined;
          node.lastValue = NO_VALUE;
        }
      }
    };
    if (node.values !== undefined) visit(node.values);
    if (node.others !== undefined) for (const map of node.others.values()) visit(map);
    if (node.arrays !== undefined) for (const map of node.arrays.values()) visit(map as Map<unknown, TrieNode>);
    node.refs -= removed;
    return removed;
  }

  private _child(node: TrieNode, key: string, value: unknown): TrieNode | undefined {
    if (Array.isArray(value)) return node.arrays?.get(key)?.get(arrayKey(value));
    return node.childMap(key)?.get(value);
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
