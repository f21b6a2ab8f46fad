// Structural cases of the attribute trie that the public-API tests reach only
// by chance: tails splitting, prefixes of longer sets, alias key orders,
// array values inside tails, removal and rebuilding attributes.
import { describe, expect, it } from 'vitest';
import { AttributeTrie } from '../../src/intern/trie.js';

function insert(trie: AttributeTrie, set: Record<string, unknown>, leaf: number) {
  return trie.insert(Object.keys(set), Object.values(set), leaf);
}

function all(trie: AttributeTrie): Record<number, Record<string, unknown>> {
  const out: Record<number, Record<string, unknown>> = {};
  trie.forEach((sid, keys, values) => {
    out[sid] = Object.fromEntries(keys.map((k, i) => [k, values[i]]));
  });
  return out;
}

describe('AttributeTrie', () => {
  it('finds sets through tails, split tails, prefixes and longer sets', () => {
    const trie = new AttributeTrie();
    insert(trie, { a: 'x', b: 'y', c: 'z' }, 0); // one path: a tail after "a"
    insert(trie, { a: 'x', b: 'y', c: 'w' }, 1); // splits the tail twice
    insert(trie, { a: 'x', b: 'y' }, 2); // a prefix of both
    insert(trie, { a: 'x' }, 3); // a shorter prefix
    insert(trie, { a: 'x', b: 'q', c: 'z', d: 1 }, 4);
    insert(trie, {}, 5);
    expect(trie.find({ a: 'x', b: 'y', c: 'z' })).toBe(0);
    expect(trie.find({ a: 'x', b: 'y', c: 'w' })).toBe(1);
    expect(trie.find({ a: 'x', b: 'y' })).toBe(2);
    expect(trie.find({ a: 'x' })).toBe(3);
    expect(trie.find({ a: 'x', b: 'q', c: 'z', d: 1 })).toBe(4);
    expect(trie.find({})).toBe(5);
    expect(trie.find({ a: 'x', b: 'q', c: 'z' })).toBe(-1); // a prefix inside a tail
    expect(trie.find({ a: 'x', b: 'q', c: 'z', d: 1, e: 2 })).toBe(-1); // longer than a tail
    expect(trie.find({ a: 'x', b: 'y', c: 'z', d: 1 })).toBe(-1); // longer than a leaf
    expect(trie.find({ a: 'x', b: 'y', c: '' })).toBe(-1);
    expect(trie.find({ b: 'y', a: 'x' })).toBe(-1); // another order is another path
    expect(all(trie)).toEqual({
      0: { a: 'x', b: 'y', c: 'z' },
      1: { a: 'x', b: 'y', c: 'w' },
      2: { a: 'x', b: 'y' },
      3: { a: 'x' },
      4: { a: 'x', b: 'q', c: 'z', d: 1 },
      5: {},
    });
  });

  it('distinguishes value types and treats NaN and arrays by value', () => {
    const trie = new AttributeTrie();
    insert(trie, { v: 1, w: 'tail' }, 0);
    insert(trie, { v: '1', w: 'tail' }, 1);
    insert(trie, { v: true, w: ['a', 'b'] }, 2);
    insert(trie, { v: Number.NaN, w: ['a'] }, 3);
    expect(trie.find({ v: 1, w: 'tail' })).toBe(0);
    expect(trie.find({ v: '1', w: 'tail' })).toBe(1);
    expect(trie.find({ v: true, w: ['a', 'b'] })).toBe(2);
    expect(trie.find({ v: true, w: ['a,b'] })).toBe(-1);
    expect(trie.find({ v: Number.NaN, w: ['a'] })).toBe(3);
    expect(all(trie)[2]).toEqual({ v: true, w: ['a', 'b'] });
  });

  it('alias paths (~sid) are found but not listed; removal removes primary and alias paths', () => {
    const trie = new AttributeTrie();
    insert(trie, { a: 1, b: 2 }, 7);
    insert(trie, { b: 2, a: 1 }, ~7);
    insert(trie, { a: 1, b: 3 }, 8);
    expect(trie.find({ b: 2, a: 1 })).toBe(7);
    expect(Object.keys(all(trie))).toEqual(['7', '8']);
    expect(trie.remove(sid => sid === 7)).toBe(2);
    expect(trie.find({ a: 1, b: 2 })).toBe(-1);
    expect(trie.find({ b: 2, a: 1 })).toBe(-1);
    expect(trie.find({ a: 1, b: 3 })).toBe(8);
    // After removal the last-step caches must not point at removed children.
    expect(trie.find({ a: 1, b: 2 })).toBe(-1);
    expect(insert(trie, { a: 1, b: 2 }, 9)).toBe(true);
    expect(trie.find({ a: 1, b: 2 })).toBe(9);
  });
});
