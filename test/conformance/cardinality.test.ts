// Cardinality limits within one collection interval, where sdk-metrics and
// fastmeter bound the same thing (across intervals they differ on purpose:
// DIFFERENCES.md 7 and 8): `aggregationCardinalityLimit` on views, for sync
// and observable instruments, every temporality, several readers.
import { AggregationType, InstrumentType } from '@opentelemetry/sdk-metrics';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { type ReaderConfig, type World, expectConformance, useFakeDate } from './harness.js';
import { ALL_KINDS, createInstrument, isAsync } from './kinds.js';

useFakeDate({ beforeAll, afterAll });

const READER_SETS: [string, ReaderConfig[]][] = [
  ['cumulative', [{ temporality: 'cumulative' }]],
  ['delta', [{ temporality: 'delta' }]],
  ['cumulative and delta', [{ temporality: 'cumulative' }, { temporality: 'delta' }]],
];

/** Records (or observes) 12 attribute sets, some twice and some without attributes, then collects once. */
async function oneInterval(w: World, kind: InstrumentType): Promise<void> {
  const inst = createInstrument(w.meter('limits'), kind, 'limited');
  const sets = Array.from({ length: 12 }, (_, i) => (i === 5 ? undefined : { id: i % 10, even: i % 2 === 0 }));
  if (isAsync(kind)) {
    // Distinct sets: a set observed twice in a callback and merged into the overflow series differs (DIFFERENCES.md 17).
    inst.setObservations(sets.slice(0, 10).map((a, i) => [i + 1, a]));
  } else {
    sets.forEach((a, i) => {
      inst.record(i + 1, a);
      inst.record(2, a);
    });
  }
  w.advance(100);
  await w.collectAll();
}

for (const [readersName, readers] of READER_SETS) {
  describe(`aggregationCardinalityLimit, ${readersName}`, () => {
    for (const kind of ALL_KINDS) {
      // Several ObservableCounter series in the overflow series look like resets, which sdk-metrics loses with several readers (DIFFERENCES.md 16).
      if (kind === InstrumentType.OBSERVABLE_COUNTER && readers.length > 1) continue;
      for (const limit of [1, 2, 5, 9, 10, 11]) {
        it(`${kind}, limit ${limit}`, async () => {
          await expectConformance({ readers, views: [{ instrumentName: 'limited', aggregationCardinalityLimit: limit }] }, w => oneInterval(w, kind));
        });
      }
    }
    it('a limit on one of two views of an instrument', async () => {
      await expectConformance(
        {
          readers,
          views: [
            { instrumentName: 'limited', name: 'limited.few', aggregationCardinalityLimit: 3 },
            { instrumentName: 'limited', name: 'limited.all', aggregation: { type: AggregationType.SUM } },
          ],
        },
        w => oneInterval(w, InstrumentType.HISTOGRAM),
      );
    });
  });
}
