// Attributes are the object's own enumerable keys (as sdk-metrics' Object.keys):
// inherited keys are never part of a set and inherited getters are never called,
// on the fast path (trie walk) and on the slow path (normalisation) alike.
import { describe, expect, it } from 'vitest';
import { bind, createAllowListAttributesProcessor, removeSeries } from '@fastmeter/sdk';
import { points, setup } from '../helpers.js';

function childOf(proto: object, own: Record<string, unknown>): Record<string, unknown> {
  return Object.assign(Object.create(proto), own);
}

describe('inherited attribute keys', () => {
  it('an object with an inherited key landed in another series when a series with that key existed', async () => {
    const { meter, reader } = setup();
    const c = meter.createCounter('c');
    c.add(1, { k: 'v', j: 'w' });
    for (let i = 0; i < 3; i++) c.add(10, childOf({ j: 'w' }, { k: 'v' }));
    expect((await points(reader)).c).toEqual([
      [{ k: 'v', j: 'w' }, 1],
      [{ k: 'v' }, 30],
    ]);
  });

  it('an object with an inherited key is the series of its own keys, whichever series exist first', async () => {
    const { meter, reader } = setup();
    const c = meter.createCounter('c');
    for (let i = 0; i < 100; i++) c.add(1, childOf({ j: 'w' }, { k: 'v' }));
    c.add(1, { k: 'v' });
    c.add(1, { k: 'v', j: 'w' });
    expect((await points(reader)).c).toEqual([
      [{ k: 'v', j: 'w' }, 1],
      [{ k: 'v' }, 101],
    ]);
  });

  it('a throwing inherited getter dropped every measurement', async () => {
    const { meter, reader } = setup({ selfMetrics: true });
    const proto = {
      get boom(): string {
        throw new Error('inherited getter called');
      },
    };
    const c = meter.createCounter('c');
    const h = meter.createHistogram('h');
    for (let i = 0; i < 100; i++) {
      c.add(1, childOf(proto, { k: 'v' }));
      h.record(1, childOf(proto, { k: 'v' }));
    }
    const out = await points(reader);
    expect(out.c).toEqual([[{ k: 'v' }, 100]]);
    expect((out.h[0][1] as { count: number }).count).toBe(100);
    expect(out['fastmeter.measurements.dropped']).toBeUndefined();
  });

  it('an inherited getter is never called, on any path', () => {
    let calls = 0;
    const proto = Object.defineProperty({}, 'j', {
      enumerable: true,
      get() {
        calls++;
        return 'w';
      },
    });
    const { meter } = setup({
      views: [{ instrumentName: 'filtered', attributesProcessors: [createAllowListAttributesProcessor(['k', 'j'])] }],
    });
    const c = meter.createCounter('c');
    const filtered = meter.createCounter('filtered');
    for (let i = 0; i < 200; i++) {
      c.add(1, childOf(proto, { k: `v${i % 3}` }));
      filtered.add(1, childOf(proto, { k: 'v' }));
    }
    bind(c, childOf(proto, { k: 'v' })).add(1);
    removeSeries(c, childOf(proto, { k: 'v0' }));
    expect(calls).toBe(0);
  });

  it('a view key filter sees own keys only', async () => {
    const { meter, reader } = setup({
      views: [{ instrumentName: 'c', attributesProcessors: [createAllowListAttributesProcessor(['k', 'j'])] }],
    });
    const c = meter.createCounter('c');
    c.add(1, { k: 'v', j: 'w' });
    for (let i = 0; i < 100; i++) c.add(1, childOf({ j: 'w' }, { k: 'v' }));
    expect((await points(reader)).c).toEqual([
      [{ k: 'v', j: 'w' }, 1],
      [{ k: 'v' }, 100],
    ]);
  });

  it('an enumerable key added to Object.prototype is not an attribute', async () => {
    const { meter, reader } = setup();
    const c = meter.createCounter('c');
    c.add(1, { k: 'v', polluted: 'yes' });
    (Object.prototype as Record<string, unknown>).polluted = 'yes';
    try {
      for (let i = 0; i < 10; i++) c.add(1, { k: 'v' });
    } finally {
      delete (Object.prototype as Record<string, unknown>).polluted;
    }
    expect((await points(reader)).c).toEqual([
      [{ k: 'v', polluted: 'yes' }, 1],
      [{ k: 'v' }, 10],
    ]);
  });
});

describe('frozen attributes objects', () => {
  it('a frozen object with a getter kept the series of the getter’s first value', async () => {
    const { meter, reader } = setup();
    const c = meter.createCounter('c');
    let route = '/a';
    const attrs = Object.freeze(
      Object.defineProperty({}, 'route', {
        enumerable: true,
        get: () => route,
      }),
    );
    for (let i = 0; i < 200; i++) c.add(1, attrs);
    route = '/b';
    for (let i = 0; i < 200; i++) c.add(1, attrs);
    expect((await points(reader)).c).toEqual([
      [{ route: '/a' }, 200],
      [{ route: '/b' }, 200],
    ]);
  });

  it('a frozen object whose prototype has an enumerable getter is not cached by identity', async () => {
    const { meter, reader } = setup();
    const c = meter.createCounter('c');
    const attrs = Object.freeze(childOf({ j: 'w' }, { k: 'v' }));
    for (let i = 0; i < 200; i++) c.add(1, attrs);
    expect((await points(reader)).c).toEqual([[{ k: 'v' }, 200]]);
  });

  it('a frozen object of data properties still takes the identity path', async () => {
    const { meter, reader } = setup();
    const c = meter.createCounter('c');
    const attrs = Object.freeze({ route: '/a', n: 1, ok: true });
    for (let i = 0; i < 200; i++) c.add(1, attrs);
    expect((await points(reader)).c).toEqual([[{ route: '/a', n: 1, ok: true }, 200]]);
  });
});
