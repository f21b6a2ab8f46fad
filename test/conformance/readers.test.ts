// Several readers at once: temporalities, aggregation selectors and
// cardinality selectors per reader, readers collecting at different times, and
// several meters and scopes.
import {
  type AggregationOption,
  AggregationTemporality,
  AggregationType,
  InstrumentType,
  createAllowListAttributesProcessor,
} from '@opentelemetry/sdk-metrics';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { type CollectPlan, EVERY_READER, STAGGERED, appScenario } from './app-scenario.js';
import { type ReaderConfig, type World, expectConformance, useFakeDate } from './harness.js';

useFakeDate({ beforeAll, afterAll });

/** OTLP exporters' "delta" temporality preference. */
const OTLP_DELTA = (type: InstrumentType) =>
  type === InstrumentType.UP_DOWN_COUNTER || type === InstrumentType.OBSERVABLE_UP_DOWN_COUNTER
    ? AggregationTemporality.CUMULATIVE
    : AggregationTemporality.DELTA;

/** OTLP exporters' "lowmemory" temporality preference. */
const OTLP_LOW_MEMORY = (type: InstrumentType) =>
  type === InstrumentType.COUNTER || type === InstrumentType.HISTOGRAM ? AggregationTemporality.DELTA : AggregationTemporality.CUMULATIVE;

const EXPONENTIAL_FOR_HISTOGRAMS = (type: InstrumentType): AggregationOption =>
  type === InstrumentType.HISTOGRAM ? { type: AggregationType.EXPONENTIAL_HISTOGRAM, options: { maxSize: 10 } } : { type: AggregationType.DEFAULT };

const MIXED_AGGREGATIONS = (type: InstrumentType): AggregationOption => {
  switch (type) {
    case InstrumentType.COUNTER:
      return { type: AggregationType.LAST_VALUE };
    case InstrumentType.GAUGE:
      return { type: AggregationType.DROP };
    case InstrumentType.UP_DOWN_COUNTER:
      return { type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM, options: { boundaries: [-1, 0, 1] } };
    case InstrumentType.OBSERVABLE_GAUGE:
      return { type: AggregationType.SUM };
    default:
      return { type: AggregationType.DEFAULT };
  }
};

const READER_SETS: [string, ReaderConfig[]][] = [
  ['two cumulative readers', [{ temporality: 'cumulative' }, { temporality: 'cumulative' }]],
  ['two delta readers', [{ temporality: 'delta' }, { temporality: 'delta' }]],
  ['cumulative and delta', [{ temporality: 'cumulative' }, { temporality: 'delta' }]],
  ['delta and cumulative', [{ temporality: 'delta' }, { temporality: 'cumulative' }]],
  ['OTLP delta preference beside Prometheus-like cumulative', [{ temporality: 'cumulative' }, { temporality: OTLP_DELTA }]],
  ['OTLP low-memory preference', [{ temporality: OTLP_LOW_MEMORY }]],
  [
    'three readers with different aggregation selectors',
    [
      { temporality: 'cumulative' },
      { temporality: 'delta', aggregation: EXPONENTIAL_FOR_HISTOGRAMS },
      { temporality: 'cumulative', aggregation: MIXED_AGGREGATIONS },
    ],
  ],
  ['same aggregation, different temporalities, three readers', [{ temporality: 'delta' }, { temporality: 'cumulative' }, { temporality: 'delta' }]],
  [
    'different aggregations, same temporality',
    [
      { temporality: 'delta', aggregation: MIXED_AGGREGATIONS },
      { temporality: 'delta', aggregation: EXPONENTIAL_FOR_HISTOGRAMS },
    ],
  ],
  ['a reader that drops everything beside one that keeps everything', [{ aggregation: () => ({ type: AggregationType.DROP }) }, { temporality: 'delta' }]],
];

const PLANS: [string, CollectPlan][] = [
  ['every reader after every interval', EVERY_READER],
  ['readers collecting at different times', STAGGERED],
];

for (const [plan, collect] of PLANS) {
  describe(`several readers, ${plan}`, () => {
    for (const [name, readers] of READER_SETS) {
      it(name, async () => {
        await expectConformance({ readers }, w => appScenario(w, collect));
      });
    }
  });
}

describe('several readers with views', () => {
  for (const [name, readers] of READER_SETS) {
    it(name, async () => {
      await expectConformance(
        {
          readers,
          views: [
            { instrumentName: 'http.server.duration', name: 'http.duration.by_route', attributesProcessors: [createAllowListAttributesProcessor(['route'])] },
            { instrumentType: InstrumentType.COUNTER, aggregation: { type: AggregationType.SUM } },
            { meterName: 'plain', description: 'observed' },
          ],
        },
        w => appScenario(w, STAGGERED),
      );
    });
  }
});

describe('reader cardinality selectors (no views), within one interval', () => {
  const limited = (limit: number): ReaderConfig => ({ cardinality: () => limit });
  const SETS: [string, ReaderConfig[]][] = [
    ['limit 5', [limited(5)]],
    ['limit 1 (everything overflows)', [limited(1)]],
    ['limit 2, delta', [{ ...limited(2), temporality: 'delta' }]],
    ['limits 3 and 50 on two readers', [limited(3), { ...limited(50), temporality: 'delta' }]],
    ['per-kind limits', [{ cardinality: t => (t === InstrumentType.COUNTER ? 2 : t === InstrumentType.HISTOGRAM ? 4 : 2000) }]],
  ];
  for (const [name, readers] of SETS) {
    it(name, async () => {
      await expectConformance({ readers }, async (w: World) => {
        const m = w.meter('cardinality');
        const c = m.createCounter('c');
        const h = m.createHistogram('h');
        const u = m.createUpDownCounter('u');
        for (let i = 0; i < 20; i++) {
          c.add(i, { id: i % 12 });
          h.record(i, { id: i % 7, even: i % 2 === 0 });
          u.add(-i, i % 3 === 0 ? undefined : { id: i });
        }
        w.advance(100);
        await w.collectAll();
      });
    });
  }
});

describe('several meters and scopes', () => {
  it('meters differing by name, version and schema URL are separate scopes', async () => {
    await expectConformance({ readers: [{ temporality: 'cumulative' }, { temporality: 'delta' }] }, async (w: World) => {
      const meters = [
        w.meter('scope'),
        w.meter('scope', '1.0.0'),
        w.meter('scope', '1.0.0', { schemaUrl: 'https://opentelemetry.io/schemas/1.0.0' }),
        w.meter('scope', '2.0.0', { schemaUrl: 'https://opentelemetry.io/schemas/1.0.0' }),
        w.meter('other', '1.0.0'),
        w.meter('scope', '1.0.0'), // the same meter again
        w.meter('scope', undefined, {}),
      ];
      const counters = meters.map(m => m.createCounter('requests'));
      for (let interval = 0; interval < 3; interval++) {
        counters.forEach((c, i) => {
          if ((i + interval) % 3 !== 0) c.add(i + 1, { meter: i });
        });
        w.advance(250);
        await w.collectAll();
      }
    });
  });
  it('a meter whose instruments record nothing is not exported', async () => {
    await expectConformance({}, async (w: World) => {
      w.meter('silent').createCounter('never');
      w.meter('silent.observable').createObservableGauge('never.observed');
      w.meter('loud').createCounter('sometimes').add(1);
      w.advance(10);
      await w.collect();
    });
  });
  it('a view selecting by meter version applies to that scope only', async () => {
    await expectConformance({ views: [{ meterName: 'scope', meterVersion: '2.0.0', aggregation: { type: AggregationType.LAST_VALUE } }] }, async (w: World) => {
      const a = w.meter('scope', '1.0.0').createCounter('c');
      const b = w.meter('scope', '2.0.0').createCounter('c');
      a.add(1);
      a.add(2);
      b.add(1);
      b.add(2);
      w.advance(10);
      await w.collect();
    });
  });
});
