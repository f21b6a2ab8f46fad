import { describe, expect, it } from 'vitest';
import { points, setup } from '../helpers.js';

describe('attribute interning', () => {
  it('keys given in another order are the same series', async () => {
    const { meter, reader } = setup();
    const c = meter.createCounter('c');
    c.add(1, { a: 'x', b: 'y' });
    c.add(2, { b: 'y', a: 'x' });
    expect((await points(reader)).c).toEqual([[{ a: 'x', b: 'y' }, 3]]);
  });

  it('a reused attributes object that is mutated between calls is recorded under its new values', async () => {
    const { meter, reader } = setup();
    const c = meter.createCounter('c');
    const labels: Record<string, string> = { route: '/a' };
    for (let i = 0; i < 200; i++) {
      labels.route = i % 2 === 0 ? '/a' : '/b';
      c.add(1, labels);
    }
    labels.extra = 'x';
    c.add(1, labels);
    expect((await points(reader)).c).toEqual([
      [{ route: '/a' }, 100],
      [{ route: '/b', extra: 'x' }, 1],
      [{ route: '/b' }, 100],
    ]);
  });

  it('a frozen attributes object takes the identity fast path and stays correct', async () => {
    const { meter, reader } = setup();
    const c = meter.createCounter('c');
    const frozen = Object.freeze({ route: '/f' });
    for (let i = 0; i < 1000; i++) c.add(1, frozen);
    for (let i = 0; i < 10; i++) c.add(1, { route: '/g' });
    c.add(1, frozen);
    expect((await points(reader)).c).toEqual([
      [{ route: '/f' }, 1001],
      [{ route: '/g' }, 10],
    ]);
  });

  it('a frozen object holding an array is not cached by identity (arrays stay mutable)', async () => {
    const { meter, reader } = setup();
    const c = meter.createCounter('c');
    const tags = ['a'];
    const frozen = Object.freeze({ tags });
    for (let i = 0; i < 200; i++) c.add(1, frozen);
    tags[0] = 'b';
    for (let i = 0; i < 200; i++) c.add(1, frozen);
    expect((await points(reader)).c).toEqual([
      [{ tags: ['a'] }, 200],
      [{ tags: ['b'] }, 200],
    ]);
  });

  it('exported attributes are a copy: mutating the caller object later changes nothing', async () => {
    const { meter, reader } = setup();
    const c = meter.createCounter('c');
    const attrs: Record<string, string> = { k: 'v' };
    c.add(1, attrs);
    attrs.k = 'changed';
    const out = await points(reader);
    expect(out.c[0][0]).toEqual({ k: 'v' });
    expect(out.c[0][0]).not.toBe(attrs);
  });

  it('numbers, strings, booleans and arrays are distinct attribute values', async () => {
    const { meter, reader } = setup();
    const c = meter.createCounter('c');
    c.add(1, { v: 200 });
    c.add(1, { v: '200' });
    c.add(1, { v: true });
    c.add(1, { v: ['a', 'b'] });
    c.add(1, { v: ['a', 'b'] });
    c.add(1, { v: ['a,b'] });
    const out = (await points(reader)).c;
    expect(out).toHaveLength(5);
    expect(out).toContainEqual([{ v: ['a', 'b'] }, 2]);
    expect(out).toContainEqual([{ v: 200 }, 1]);
    expect(out).toContainEqual([{ v: '200' }, 1]);
  });
});
