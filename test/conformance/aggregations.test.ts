// Every instrument kind x aggregation x temporality, chosen through a view and
// through the reader's selectors, with an INT and a DOUBLE instrument side by side.
import { type Attributes, ValueType } from '@opentelemetry/api';
import { AggregationType, type InstrumentType } from '@opentelemetry/sdk-metrics';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { type World, type WorldConfig, expectConformance, useFakeDate } from './harness.js';
import { AGGREGATIONS, ALL_KINDS, type AnyInstrument, createInstrument, isAsync, isMonotonicKind } from './kinds.js';

useFakeDate({ beforeAll, afterAll });

const SETS: (Attributes | undefined)[] = [undefined, { route: '/a' }, { route: '/b', code: 200 }, { code: 200, route: '/b' }, { route: '/c', ok: true }];

function syncValues(kind: InstrumentType, interval: number): number[] {
  const base = [0, 1, 3.5, 7.25, 12, 250, 10_000, 0.001, 123_456.5, 2, 4, 1024, 0.75];
  const values = base.map(v => v * (interval + 1));
  return isMonotonicKind(kind) ? values : [...values, -3, -0.25, -1000.5, -1e-3];
}

/** Records into `inst` for one interval; later intervals touch fewer series. */
function recordInterval(inst: AnyInstrument, interval: number): void {
  const values = syncValues(inst.kind, interval);
  const sets = SETS.slice(0, SETS.length - interval);
  for (let i = 0; i < values.length; i++) inst.record(values[i], sets[i % sets.length]);
}

/** Observations for one interval: totals that grow, a series that disappears, one that appears, a counter reset. */
function observeInterval(inst: AnyInstrument, interval: number): void {
  const totals: [number, Attributes | undefined][][] = [
    [
      [10, undefined],
      [5.5, { route: '/a' }],
      [100, { route: '/b', code: 200 }],
    ],
    [
      [12, undefined],
      [5.5, { route: '/a' }],
      [150.25, { code: 200, route: '/b' }],
      [1, { route: '/c', ok: true }],
    ],
    [
      [20, undefined],
      [3, { route: '/c', ok: true }],
    ],
    [
      [2, undefined], // a reset of the counter
      [7, { route: '/c', ok: true }],
      [9, { route: '/a' }],
    ],
  ];
  const sign = isMonotonicKind(inst.kind) ? 1 : interval % 2 === 0 ? 1 : -1;
  inst.setObservations(totals[interval].map(([v, a]) => [v * sign, a]));
}

async function matrixScenario(w: World, kind: InstrumentType): Promise<void> {
  const meter = w.meter('matrix', '1.0.0');
  const instruments = [
    createInstrument(meter, kind, 'subject.double', { unit: 'ms', description: 'a double instrument' }),
    createInstrument(meter, kind, 'subject.int', { unit: '{request}', valueType: ValueType.INT }),
  ];
  for (let interval = 0; interval < 4; interval++) {
    for (const inst of instruments) {
      if (isAsync(kind)) observeInterval(inst, interval);
      else if (interval < 3) recordInterval(inst, interval);
    }
    w.advance(1000 + interval * 7);
    await w.collect(0);
    w.advance(3);
  }
}

for (const kind of ALL_KINDS) {
  describe(kind, () => {
    for (const aggregation of AGGREGATIONS) {
      // A histogram aggregation on an observable instrument differs on purpose (DIFFERENCES.md).
      if (aggregation.histogram && isAsync(kind)) continue;
      for (const temporality of ['cumulative', 'delta'] as const) {
        it(`${aggregation.name}, ${temporality}, through a view`, async () => {
          const config: WorldConfig = {
            views: [{ instrumentName: 'subject.*', aggregation: aggregation.option }],
            readers: [{ temporality }],
          };
          await expectConformance(config, w => matrixScenario(w, kind));
        });
        it(`${aggregation.name}, ${temporality}, through the reader's aggregationSelector`, async () => {
          const config: WorldConfig = { readers: [{ temporality, aggregation: () => aggregation.option }] };
          await expectConformance(config, w => matrixScenario(w, kind));
        });
      }
    }
  });
}

describe('edge values', () => {
  const EXTREMES = [
    Number.MIN_VALUE,
    2 ** -1074 * 3,
    2 ** -1022,
    2 ** -1022 * 1.5,
    2 ** -1021,
    1e-300,
    0.5,
    1,
    1.0000001,
    2,
    3,
    4,
    1024,
    2 ** 52 + 1,
    1e300,
    2 ** 1023,
    Number.MAX_VALUE,
  ];
  for (const maxSize of [2, 3, 4, 20, 160]) {
    it(`exponential histogram, maxSize ${maxSize}: subnormals, powers of two, the largest doubles`, async () => {
      const config: WorldConfig = {
        readers: [{ aggregation: () => ({ type: AggregationType.EXPONENTIAL_HISTOGRAM, options: { maxSize } }) }],
      };
      await expectConformance(config, async w => {
        const h = w.meter('edges').createHistogram('h');
        const g = w.meter('edges').createGauge('g');
        EXTREMES.forEach((v, i) => {
          h.record(v, { set: i % 3 });
          h.record(v, { all: true });
          g.record(i % 2 === 0 ? -v : v, { all: true });
          g.record(-v, { set: i % 4 });
        });
        w.advance(10);
        await w.collect();
      });
    });
  }
  it('explicit bucket histogram: values on the boundaries fall in the bucket below', async () => {
    await expectConformance(
      {
        views: [
          { instrumentName: 'custom', aggregation: { type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM, options: { boundaries: [-1, 0, 0.1, 1, 1, 10] } } },
        ],
      },
      async w => {
        const m = w.meter('edges');
        const byDefault = m.createHistogram('default');
        const custom = m.createGauge('custom');
        for (const v of [0, 5, 10, 25, 10_000, 10_000.000001, 4.999999, 0.1, 0.30000000000000004]) byDefault.record(v);
        for (const v of [-1, -1.5, 0, 0.1, 0.1 + Number.EPSILON, 1, 10, 11, -0]) custom.record(v, { v: String(v) });
        w.advance(10);
        await w.collect();
      },
    );
  });
});
