// Observable instruments: single and batch callbacks, adding and removing
// them, callbacks that throw, reject or time out (their errors are returned,
// the other callbacks are still collected), and asynchronous callbacks.
import { type BatchObservableResult, type ObservableResult, ValueType } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { type ReaderConfig, type World, expectConformance, useFakeDate } from './harness.js';

useFakeDate({ beforeAll, afterAll });

const READER_SETS: [string, ReaderConfig[]][] = [
  ['cumulative', [{ temporality: 'cumulative' }]],
  ['delta', [{ temporality: 'delta' }]],
  ['cumulative and delta', [{ temporality: 'cumulative' }, { temporality: 'delta' }]],
];

const sleep = (ms: number) => new Promise<void>(resolve => setTimeout(resolve, ms));

async function intervals(w: World, n: number, each: (interval: number) => void | Promise<void>, collect?: (interval: number) => Promise<void>) {
  for (let i = 0; i < n; i++) {
    await each(i);
    w.advance(500 + i);
    if (collect) await collect(i);
    else await w.collectAll();
  }
}

const SCENARIOS: [string, (w: World) => Promise<void>][] = [
  [
    'single callbacks on every observable kind',
    async w => {
      const m = w.meter('single');
      let tick = 0;
      m.createObservableCounter('oc').addCallback(r => r.observe(10 * tick, { host: 'a' }));
      m.createObservableUpDownCounter('oud').addCallback(r => {
        r.observe(5 - 3 * tick, { host: 'a' });
        r.observe(tick, { host: 'b' });
      });
      m.createObservableGauge('og', { unit: '%' }).addCallback(r => r.observe(tick % 2 === 0 ? 0.25 : 0.75));
      await intervals(w, 4, i => {
        tick = i + 1;
      });
    },
  ],
  [
    'two callbacks on one instrument',
    async w => {
      const m = w.meter('two');
      let tick = 1;
      const oc = m.createObservableCounter('requests');
      oc.addCallback(r => r.observe(tick * 2, { source: 'first' }));
      oc.addCallback(r => r.observe(tick * 3, { source: 'second' }));
      await intervals(w, 3, i => {
        tick = i + 1;
      });
    },
  ],
  [
    'adding and removing callbacks between collections',
    async w => {
      const m = w.meter('add-remove');
      const og = m.createObservableGauge('gauge');
      const a = (r: ObservableResult) => r.observe(1, { cb: 'a' });
      const b = (r: ObservableResult) => r.observe(2, { cb: 'b' });
      await intervals(w, 5, i => {
        if (i === 0) og.addCallback(a);
        if (i === 1) {
          og.addCallback(b);
          og.addCallback(a); // already registered: no effect
        }
        if (i === 2) og.removeCallback(a);
        if (i === 3) {
          og.removeCallback(b);
          og.removeCallback(b); // unknown: no effect
        }
      });
    },
  ],
  [
    'batch callbacks across kinds, added and removed',
    async w => {
      const m = w.meter('batch');
      const oc = m.createObservableCounter('batch.counter');
      const oud = m.createObservableUpDownCounter('batch.updown', { valueType: ValueType.INT });
      const og = m.createObservableGauge('batch.gauge');
      let tick = 1;
      const batch = (r: BatchObservableResult) => {
        r.observe(oc, 100 * tick, { k: 'v' });
        r.observe(oud, -2.5 * tick);
        r.observe(og, tick / 3, { k: 'v' });
      };
      const second = (r: BatchObservableResult) => r.observe(og, 42, { from: 'second' });
      await intervals(w, 5, i => {
        tick = i + 1;
        if (i === 0) m.addBatchObservableCallback(batch, [oc, oud, og]);
        if (i === 1) m.addBatchObservableCallback(second, [og]);
        if (i === 2) m.removeBatchObservableCallback(batch, [oc, oud, og]);
        if (i === 3) m.removeBatchObservableCallback(second, [og, og]);
      });
    },
  ],
  [
    'a batch callback observing an instrument it was not registered for',
    async w => {
      const m = w.meter('batch-unregistered');
      const registered = m.createObservableGauge('registered');
      const other = m.createObservableGauge('other');
      const foreign = w.meter('another-meter').createObservableGauge('foreign');
      m.addBatchObservableCallback(
        r => {
          r.observe(registered, 1);
          r.observe(other, 2);
          r.observe(foreign, 3);
        },
        [registered],
      );
      await intervals(w, 2, () => {});
    },
  ],
  [
    'a batch callback registered with no observable instruments',
    async w => {
      const m = w.meter('batch-empty');
      const counter = m.createCounter('sync');
      m.addBatchObservableCallback(() => {}, [counter as never]);
      m.addBatchObservableCallback(() => {}, []);
      counter.add(1);
      await intervals(w, 1, () => {});
    },
  ],
  [
    'a throwing callback: its error is returned and the others are collected',
    async w => {
      const m = w.meter('throws');
      const og = m.createObservableGauge('gauge');
      og.addCallback(r => r.observe(1, { ok: true }));
      og.addCallback(r => {
        r.observe(2, { ok: false }); // observed before throwing: not applied
        throw new Error('callback failed');
      });
      const oc = m.createObservableCounter('counter');
      m.addBatchObservableCallback(() => {
        throw new TypeError('batch callback failed');
      }, [oc]);
      m.addBatchObservableCallback(r => r.observe(oc, 7), [oc]);
      w.meter('throws.too')
        .createObservableUpDownCounter('other')
        .addCallback(() => {
          throw new RangeError('another meter');
        });
      await intervals(w, 2, () => {});
    },
  ],
  [
    'a rejecting asynchronous callback',
    async w => {
      const m = w.meter('rejects');
      const og = m.createObservableGauge('gauge');
      og.addCallback(async r => {
        await Promise.resolve();
        r.observe(5);
      });
      og.addCallback(async () => {
        await Promise.resolve();
        throw new Error('rejected');
      });
      await intervals(w, 2, () => {});
    },
  ],
  [
    'asynchronous callbacks observing after an await',
    async w => {
      const m = w.meter('async');
      let tick = 1;
      m.createObservableCounter('c').addCallback(async r => {
        await sleep(1);
        r.observe(tick * 10, { after: 'sleep' });
      });
      const g = m.createObservableGauge('g');
      m.addBatchObservableCallback(
        async r => {
          await Promise.resolve();
          r.observe(g, tick);
        },
        [g],
      );
      await intervals(w, 3, i => {
        tick = i + 1;
      });
    },
  ],
  [
    'a slow callback and collect({ timeoutMillis })',
    async w => {
      const m = w.meter('slow');
      m.createObservableGauge('slow').addCallback(async r => {
        await sleep(200);
        r.observe(1);
      });
      m.createObservableGauge('fast').addCallback(r => r.observe(2));
      await intervals(
        w,
        2,
        () => {},
        async () => {
          for (let i = 0; i < w.readers.length; i++) await w.collect(i, { timeoutMillis: 20 });
        },
      );
    },
  ],
  [
    'series that disappear and come back',
    async w => {
      const m = w.meter('churn');
      let tick = 0;
      m.createObservableUpDownCounter('queue.depth').addCallback(r => {
        if (tick !== 1) r.observe(tick * 2, { queue: 'a' });
        if (tick >= 1) r.observe(-tick, { queue: 'b' });
      });
      m.createObservableCounter('bytes').addCallback(r => {
        if (tick % 2 === 0) r.observe(1000 + tick, { dir: 'in' });
        r.observe(50 * tick, { dir: 'out' });
      });
      await intervals(w, 5, i => {
        tick = i;
      });
    },
  ],
  [
    'an observable counter that resets (one reader at a time)',
    async w => {
      const m = w.meter('reset');
      let total = 0;
      m.createObservableCounter('restarts').addCallback(r => r.observe(total, { process: 'worker' }));
      await intervals(
        w,
        4,
        i => {
          total = [5, 9, 2, 4][i];
        },
        async () => {
          await w.collect(0);
        },
      );
    },
  ],
];

for (const [readersName, readers] of READER_SETS) {
  describe(`observable instruments, ${readersName}`, () => {
    for (const [name, scenario] of SCENARIOS) {
      it(name, async () => {
        await expectConformance({ readers }, scenario);
      });
    }
  });
}

describe('concurrent collections', () => {
  it('two readers collecting at once', async () => {
    await expectConformance({ readers: [{ temporality: 'cumulative' }, { temporality: 'delta' }] }, async (w: World) => {
      const m = w.meter('concurrent');
      let tick = 1;
      m.createObservableCounter('oc').addCallback(async r => {
        await Promise.resolve();
        r.observe(tick * 10, { k: 'v' });
      });
      m.createObservableGauge('og').addCallback(r => r.observe(tick));
      const c = m.createCounter('c');
      for (let i = 0; i < 3; i++) {
        tick = i + 1;
        c.add(i, { k: 'v' });
        w.advance(100);
        await Promise.all([w.collect(0), w.collect(1)]);
      }
    });
  });
});
