// One test per fastmeter bug this suite found, named after the bug. Each runs
// the smallest scenario that showed it against both SDKs.
import { AggregationType, InstrumentType } from '@opentelemetry/sdk-metrics';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { type World, expectConformance, useFakeDate } from './harness.js';

useFakeDate({ beforeAll, afterAll });

describe('regressions', () => {
  it('a compatible duplicate histogram with different advice was exported as a second stream', async () => {
    // Advice is not part of an instrument's identity: the duplicate shares the
    // first registration's stream (and its bucket boundaries) for every reader.
    await expectConformance(
      {
        readers: [
          { temporality: 'cumulative' },
          { temporality: 'delta', aggregation: t => (t === InstrumentType.HISTOGRAM ? { type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM } : { type: 0 }) },
        ],
      },
      async (w: World) => {
        const m = w.meter('advice');
        const first = m.createHistogram('latency', { advice: { explicitBucketBoundaries: [1, 2, 3] } });
        const second = m.createHistogram('latency');
        first.record(1.5);
        second.record(2.5);
        w.advance(10);
        await w.collectAll();
      },
    );
  });
});
