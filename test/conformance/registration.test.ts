// Instrument registration: descriptors (unit, description, valueType, advice),
// INT truncation, invalid names, and duplicate registrations (compatible ones
// share a stream, incompatible ones are both exported, the longer description wins).
import { ValueType } from '@opentelemetry/api';
import { AggregationType, InstrumentType } from '@opentelemetry/sdk-metrics';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { type ReaderConfig, type World, expectConformance, useFakeDate } from './harness.js';
import { createInstrument } from './kinds.js';

useFakeDate({ beforeAll, afterAll });

const READER_SETS: [string, ReaderConfig[]][] = [
  ['one cumulative reader', [{ temporality: 'cumulative' }]],
  ['a cumulative and a delta reader', [{ temporality: 'cumulative' }, { temporality: 'delta' }]],
];

/** Two intervals, collecting every reader after each. */
async function twice(w: World, record: (interval: number) => void): Promise<void> {
  for (let interval = 0; interval < 2; interval++) {
    record(interval);
    w.advance(1000);
    await w.collectAll();
  }
}

const SCENARIOS: [string, (w: World) => Promise<void>][] = [
  [
    'descriptor fields: unit, description, valueType, advice',
    async w => {
      const m = w.meter('descriptors');
      const h = m.createHistogram('with.advice', {
        unit: 'ms',
        description: 'has advice',
        valueType: ValueType.INT,
        advice: { explicitBucketBoundaries: [100, 10, 1, Number.POSITIVE_INFINITY] },
      });
      const c = m.createCounter('plain.counter');
      const g = m.createGauge('double.gauge', { valueType: ValueType.DOUBLE, unit: '1' });
      await twice(w, i => {
        h.record(5.9 + i, { k: 'v' });
        h.record(0.4);
        h.record(150.5);
        c.add(1.5);
        g.record(-2.5 * i);
      });
    },
  ],
  [
    'INT instruments truncate fractional values',
    async w => {
      const m = w.meter('int');
      const c = m.createCounter('int.counter', { valueType: ValueType.INT });
      const u = m.createUpDownCounter('int.updown', { valueType: ValueType.INT });
      const h = m.createHistogram('int.histogram', { valueType: ValueType.INT });
      const g = m.createGauge('int.gauge', { valueType: ValueType.INT });
      const o = m.createObservableGauge('int.observable', { valueType: ValueType.INT });
      o.addCallback(r => {
        r.observe(3.99, { a: 1 });
        r.observe(-3.99, { a: 2 });
      });
      await twice(w, i => {
        c.add(1.9 + i);
        c.add(0.5);
        u.add(-1.9);
        u.add(2.5 + i);
        h.record(9.99);
        h.record(10.01 + i);
        g.record(-7.7 + i);
      });
    },
  ],
  [
    'negative values on counters and histograms are dropped',
    async w => {
      const m = w.meter('negative');
      const c = m.createCounter('counter');
      const h = m.createHistogram('histogram');
      await twice(w, () => {
        c.add(-1, { a: 'x' });
        c.add(2, { a: 'x' });
        h.record(-5);
        h.record(5);
      });
    },
  ],
  [
    'non-number values are dropped',
    async w => {
      const m = w.meter('types');
      const c = m.createCounter('counter');
      const g = m.createGauge('gauge');
      await twice(w, () => {
        c.add('5' as never);
        c.add(undefined as never);
        c.add(3);
        g.record({} as never);
        g.record(4);
      });
    },
  ],
  [
    'invalid instrument names still record',
    async w => {
      const m = w.meter('names');
      const a = m.createCounter('1starts.with.digit');
      const b = m.createCounter('has space');
      const c = m.createCounter(`long.${'x'.repeat(300)}`);
      const d = m.createHistogram('');
      await twice(w, () => {
        a.add(1);
        b.add(2);
        c.add(3);
        d.record(4);
      });
    },
  ],
  [
    'a compatible duplicate shares one stream',
    async w => {
      const m = w.meter('dup');
      const a = m.createCounter('requests', { unit: '1' });
      const b = m.createCounter('requests', { unit: '1' });
      await twice(w, i => {
        a.add(1, { x: 1 });
        b.add(2 + i, { x: 1 });
        b.add(5, { x: 2 });
      });
    },
  ],
  [
    'names differing only in case',
    async w => {
      const m = w.meter('case');
      const a = m.createCounter('Requests');
      const b = m.createCounter('requests');
      await twice(w, () => {
        a.add(1);
        b.add(10);
      });
    },
  ],
  [
    'incompatible duplicates (kind, unit, valueType) are all exported',
    async w => {
      const m = w.meter('conflicts');
      const a = m.createCounter('thing', { unit: 'ms' });
      const b = m.createHistogram('thing', { unit: 'ms' });
      const c = m.createCounter('thing', { unit: 's' });
      const d = m.createCounter('thing', { unit: 'ms', valueType: ValueType.INT });
      const e = m.createUpDownCounter('thing', { unit: 'ms' });
      await twice(w, i => {
        a.add(1 + i);
        b.record(2);
        c.add(3);
        d.add(4);
        e.add(-5);
      });
    },
  ],
  [
    'a longer description on a duplicate wins',
    async w => {
      const m = w.meter('descriptions');
      const a = m.createCounter('short.first', { description: 'short' });
      const b = m.createCounter('short.first', { description: 'a much longer description' });
      const c = m.createCounter('long.first', { description: 'the long description comes first' });
      const d = m.createCounter('long.first', { description: 'short' });
      const e = m.createCounter('long.first');
      await twice(w, () => {
        a.add(1);
        b.add(1);
        c.add(1);
        d.add(1);
        e.add(1);
      });
    },
  ],
  [
    'a description conflict after an incompatible duplicate',
    async w => {
      const m = w.meter('descriptions');
      const a = m.createCounter('mixed', { description: 'first' });
      const b = m.createHistogram('mixed', { description: 'second, longer' });
      const c = m.createCounter('mixed', { description: 'third and longest of all' });
      await twice(w, () => {
        a.add(1);
        b.record(1);
        c.add(1);
      });
    },
  ],
  [
    'a compatible duplicate with different advice keeps the first advice',
    async w => {
      const m = w.meter('advice');
      const a = m.createHistogram('latency', { advice: { explicitBucketBoundaries: [1, 2, 3] } });
      const b = m.createHistogram('latency');
      const c = m.createHistogram('latency', { advice: { explicitBucketBoundaries: [10, 20] } });
      await twice(w, () => {
        a.record(1.5);
        b.record(2.5);
        c.record(15);
      });
    },
  ],
  [
    'advice edge cases: empty, infinities, duplicates, null (NaN and non-numbers are removed: DIFFERENCES.md 5)',
    async w => {
      const m = w.meter('advice-edges');
      const bounds: unknown[] = [[], [Number.POSITIVE_INFINITY], [Number.NEGATIVE_INFINITY, 0], [3, 3, 1], null];
      const histograms = bounds.map((b, i) => m.createHistogram(`h${i}`, { advice: { explicitBucketBoundaries: b as number[] } }));
      await twice(w, i => {
        for (const h of histograms) for (const v of [0, 1, 2, 3, 5, 7 + i]) h.record(v);
      });
    },
  ],
  [
    'the same name in two meters is two metrics',
    async w => {
      const a = w.meter('one').createCounter('shared.name');
      const b = w.meter('two').createCounter('shared.name');
      const c = w.meter('one', '2.0').createCounter('shared.name');
      await twice(w, () => {
        a.add(1);
        b.add(2);
        c.add(3);
      });
    },
  ],
  [
    'duplicate observable instruments share a stream',
    async w => {
      const m = w.meter('observables');
      const a = createInstrument(m, InstrumentType.OBSERVABLE_COUNTER, 'obs');
      const b = createInstrument(m, InstrumentType.OBSERVABLE_COUNTER, 'obs');
      await twice(w, i => {
        a.setObservations([[10 * (i + 1), { from: 'a' }]]);
        b.setObservations([[3 * (i + 1), { from: 'b' }]]);
      });
    },
  ],
];

for (const [readersName, readers] of READER_SETS) {
  describe(`registration, ${readersName}`, () => {
    for (const [name, scenario] of SCENARIOS) {
      it(name, async () => {
        await expectConformance({ readers }, scenario);
      });
    }
  });
}

describe('registration under views', () => {
  it('a compatible duplicate matched by a view shares the view stream', async () => {
    await expectConformance(
      { views: [{ instrumentName: 'requests', aggregation: { type: AggregationType.SUM }, description: 'view' }], readers: READER_SETS[1][1] },
      async w => {
        const m = w.meter('dup');
        const a = m.createCounter('requests');
        const b = m.createCounter('requests', { description: 'a longer description than the view has' });
        await twice(w, () => {
          a.add(1);
          b.add(2);
        });
      },
    );
  });
  it('a rename onto an existing instrument name conflicts and both are exported', async () => {
    await expectConformance({ views: [{ instrumentName: 'db.calls', name: 'http.requests' }], readers: READER_SETS[1][1] }, async w => {
      const m = w.meter('rename');
      const a = m.createCounter('http.requests');
      const b = m.createUpDownCounter('db.calls');
      await twice(w, () => {
        a.add(1);
        b.add(-2);
      });
    });
  });
});
