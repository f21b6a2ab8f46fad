// A MeasurementProcessor is application code on the record path: whatever it
// throws is contained like a failing attributes processor (dropped, counted,
// warned at a limited rate), never thrown into the caller.
import { describe, expect, it } from 'vitest';
import { type MeasurementProcessor, bind } from '@fastmeter/sdk';
import { points, selfMetrics, setup, withWarnings } from '../helpers.js';

const throwingWrap: MeasurementProcessor = {
  wrap() {
    throw new Error('wrap failed');
  },
};

const throwingRecord: MeasurementProcessor = {
  wrap: () => () => {
    throw new Error('record failed');
  },
};

/** Passes every other measurement on, then throws on the next call. */
function flaky(): MeasurementProcessor {
  return {
    wrap: (_d, next) => {
      let i = 0;
      return (value, attributes, context) => {
        if (i++ % 2 === 1) throw new Error('flaky');
        next(value, attributes, context);
      };
    },
  };
}

describe('measurement processors that throw', () => {
  it('a processor whose wrap() throws made createCounter throw: the instrument records without that processor', async () => {
    await withWarnings(async warnings => {
      const { meter, reader } = setup({ processors: [throwingWrap] });
      const c = meter.createCounter('c');
      const h = meter.createHistogram('h');
      c.add(2, { k: 'v' });
      h.record(3);
      const out = await points(reader);
      expect(out.c).toEqual([[{ k: 'v' }, 2]]);
      expect((out.h[0][1] as { sum: number }).sum).toBe(3);
      expect(warnings.some(w => w.includes('processors[0].wrap()') && w.includes('"c"') && w.includes('wrap failed'))).toBe(true);
    });
  });

  it('a processor whose record function throws made add() throw: the measurement is dropped, counted and warned once', async () => {
    await withWarnings(async warnings => {
      const { meter, reader } = setup({ processors: [throwingRecord], selfMetrics: true });
      const c = meter.createCounter('c');
      expect(() => c.add(1)).not.toThrow();
      expect(() => c.add(1, { k: 'v' })).not.toThrow();
      const out = await selfMetrics(reader);
      expect(out['fastmeter.measurements.dropped']).toEqual([[{ reason: 'measurement_processor_threw' }, 2]]);
      expect(warnings.filter(w => w.includes('record failed'))).toHaveLength(1);
    });
  });

  it('a processor whose record function throws made bind().add() and bind().record() throw', async () => {
    await withWarnings(async () => {
      const { meter, reader } = setup({ processors: [flaky()], selfMetrics: true });
      const counter = bind(meter.createCounter('c'), { k: 'v' });
      const histogram = bind(meter.createHistogram('h'), { k: 'v' });
      for (let i = 0; i < 4; i++) {
        expect(() => counter.add(1)).not.toThrow();
        expect(() => histogram.record(1)).not.toThrow();
      }
      const out = await points(reader);
      expect(out.c).toEqual([[{ k: 'v' }, 2]]);
      expect((out.h[0][1] as { count: number }).count).toBe(2);
      expect(out['fastmeter.measurements.dropped']).toEqual([[{ reason: 'measurement_processor_threw' }, 4]]);
    });
  });

  it('a processor whose wrap() throws made bind() throw', async () => {
    await withWarnings(async () => {
      let calls = 0;
      const failsSecondTime: MeasurementProcessor = {
        wrap: (_d, next) => {
          if (calls++ > 0) throw new Error('second wrap failed');
          return next;
        },
      };
      const { meter, reader } = setup({ processors: [failsSecondTime] });
      const c = meter.createCounter('c');
      const handle = bind(c, { k: 'v' });
      handle.add(5);
      expect((await points(reader)).c).toEqual([[{ k: 'v' }, 5]]);
    });
  });

  it('a processor whose wrap() returns something other than a function made add() throw a TypeError', async () => {
    await withWarnings(async warnings => {
      const { meter, reader } = setup({ processors: [{ wrap: () => 42 as never }] });
      const c = meter.createCounter('c');
      expect(() => c.add(1)).not.toThrow();
      expect((await points(reader)).c).toEqual([[{}, 1]]);
      expect(warnings.some(w => w.includes('did not return a function'))).toBe(true);
    });
  });

  it('an outer processor does not see what an inner processor throws', async () => {
    await withWarnings(async () => {
      let outerSawThrow = false;
      const outer: MeasurementProcessor = {
        wrap: (_d, next) => (v, a, c) => {
          try {
            next(v, a, c);
          } catch {
            outerSawThrow = true;
          }
        },
      };
      const { meter } = setup({ processors: [throwingRecord, outer] });
      meter.createCounter('c').add(1);
      expect(outerSawThrow).toBe(false);
    });
  });
});
