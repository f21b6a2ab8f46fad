// Attribute sets: value types (strings, numbers, booleans, homogeneous arrays),
// key order, numbers vs strings, reused and frozen objects, many keys, with and
// without a view's key filter.
import type { Attributes } from '@opentelemetry/api';
import { createAllowListAttributesProcessor, createDenyListAttributesProcessor } from '@opentelemetry/sdk-metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type World, type WorldConfig, bothRuns, expectConformance, useFakeDate } from './harness.js';
import type { Approx } from './normalise.js';

useFakeDate({ beforeAll, afterAll });

const reused: Attributes = { shared: 'object', n: 1 };
const frozen: Attributes = Object.freeze({ frozen: true, list: Object.freeze(['a', 'b']) as unknown as string[] });

function sets(): Attributes[] {
  const many: Attributes = {};
  for (let i = 0; i < 40; i++) many[`key.${(i * 7) % 40}`] = i % 3 === 0 ? i : `v${i}`;
  return [
    {},
    { a: 'x' },
    { a: 'x', b: 'y' },
    { b: 'y', a: 'x' }, // reordered: same series
    { a: 1 },
    { a: '1' }, // a string, not the number
    { a: 1.0 },
    { a: 1.5 },
    { a: true },
    { a: 'true' },
    { a: false },
    { a: 0 },
    { a: '' },
    { '': 'empty key' },
    { ключ: 'значение', emoji: '📈' },
    { list: ['a', 'b'] },
    { list: ['b', 'a'] },
    { list: [1, 2] },
    { list: ['1', '2'] },
    { list: [true, false] },
    { list: [] },
    { list: ['a', 'b'], other: 1 },
    { other: 1, list: ['a', 'b'] },
    reused,
    { n: 1, shared: 'object' },
    frozen,
    many,
    { ...many },
    { status: 200, method: 'GET', route: '/x' },
    { route: '/x', status: 200, method: 'GET' },
    { method: 'GET', status: 200, route: '/x' },
  ];
}

async function attributesScenario(w: World): Promise<void> {
  const m = w.meter('attributes');
  const c = m.createCounter('sync.counter');
  const h = m.createHistogram('sync.histogram', { advice: { explicitBucketBoundaries: [1, 10] } });
  const g = m.createGauge('sync.gauge');
  const o = m.createObservableUpDownCounter('observable');
  let tick = 1;
  o.addCallback(r => {
    // Each set once per callback (sets equal up to key order are observed once).
    const seen = new Set<string>();
    sets().forEach((attrs, i) => {
      const key = JSON.stringify(Object.entries(attrs).sort());
      if (!seen.has(key)) r.observe(i * tick, attrs);
      seen.add(key);
    });
  });
  for (let interval = 0; interval < 3; interval++) {
    tick = interval + 1;
    sets().forEach((attrs, i) => {
      c.add(i + interval, attrs);
      h.record(i / 2, attrs);
      g.record(-i * tick, attrs);
    });
    c.add(100); // no attributes: the same series as {}
    w.advance(1000);
    await w.collectAll();
  }
}

const CONFIGS: [string, WorldConfig][] = [
  ['cumulative', { readers: [{ temporality: 'cumulative' }] }],
  ['delta', { readers: [{ temporality: 'delta' }] }],
  ['cumulative and delta', { readers: [{ temporality: 'cumulative' }, { temporality: 'delta' }] }],
  [
    'allow-list view on sync instruments',
    // Only sync instruments: a key filter may merge sets an observable callback reports separately (DIFFERENCES.md).
    { views: [{ instrumentName: 'sync.*', attributesProcessors: [createAllowListAttributesProcessor(['a', 'list', 'n'])] }] },
  ],
  ['deny-list view', { views: [{ instrumentName: 'sync.counter', attributesProcessors: [createDenyListAttributesProcessor(['a', 'other'])] }] }],
];

describe('attribute sets', () => {
  for (const [name, config] of CONFIGS) {
    it(name, async () => {
      await expectConformance(config, attributesScenario);
    });
  }
});

describe('a reused attributes object mutated between calls (sdk-metrics exports the mutated object: DIFFERENCES.md 2)', () => {
  it('records each call into the series of the values it had at the call', async () => {
    const { sdk, fast } = await bothRuns({ readers: [{ temporality: 'cumulative' }, { temporality: 'delta' }] }, async w => {
      const c = w.meter('m').createCounter('c');
      const labels: Attributes = { route: '/a', code: 200 };
      for (let i = 0; i < 12; i++) {
        labels.route = `/${'abc'[i % 3]}`;
        labels.code = i % 2 === 0 ? 200 : 500;
        if (i === 7) delete labels.code;
        if (i === 9) labels.extra = true;
        c.add(i + 1, labels);
      }
      w.advance(10);
      await w.collectAll();
    });
    const valuesOf = (w: World, i: number) =>
      (w.collections[i].data.scopes as { metrics: { dataPoints: { value: Approx }[] }[] }[])[0].metrics[0].dataPoints
        .map(p => p.value.value)
        .sort((x, y) => x - y);
    const seriesOf = (w: World, i: number) =>
      (w.collections[i].data.scopes as { metrics: { dataPoints: { attributes: unknown; value: Approx }[] }[] }[])[0].metrics[0].dataPoints.map(p => [
        p.attributes,
        p.value.value,
      ]);
    for (const i of [0, 1]) {
      expect(valuesOf(fast, i)).toEqual(valuesOf(sdk, i));
      const sorted = (rows: unknown[]) => rows.map(r => JSON.stringify(r)).sort();
      expect(sorted(seriesOf(fast, i))).toEqual(
        sorted([
          [{ code: 200, route: '/a' }, 1 + 7],
          [{ code: 500, route: '/b' }, 2],
          [{ code: 200, route: '/c' }, 3 + 9],
          [{ code: 500, route: '/a' }, 4],
          [{ code: 200, route: '/b' }, 5],
          [{ code: 500, route: '/c' }, 6],
          [{ route: '/b' }, 8],
          [{ code: 500, extra: true, route: '/a' }, 10],
          [{ code: 200, extra: true, route: '/b' }, 11],
          [{ code: 500, extra: true, route: '/c' }, 12],
        ]),
      );
    }
  });
});
