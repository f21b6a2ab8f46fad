import { metrics } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { bind } from '@fastmeter/sdk';
import { deltaReader, points, setup } from '../helpers.js';

describe('bind()', () => {
  it('adds to the bound series of a counter, like add() with the same attributes', async () => {
    const { meter, reader } = setup();
    const counter = meter.createCounter('requests');
    const handle = bind(counter, { route: '/a' });
    handle.add(2);
    handle.add(3);
    counter.add(10, { route: '/a' });
    counter.add(1, { route: '/b' });
    expect((await points(reader)).requests).toEqual([
      [{ route: '/a' }, 15],
      [{ route: '/b' }, 1],
    ]);
  });

  it('records into histograms and gauges', async () => {
    const { meter, reader } = setup();
    const h = bind(meter.createHistogram('latency', { advice: { explicitBucketBoundaries: [10, 100] } }), { op: 'get' });
    const g = bind(meter.createGauge('temp'), { room: 'a' });
    h.record(5);
    h.record(50);
    h.record(500);
    g.record(20);
    g.record(21);
    const out = await points(reader);
    expect(out.latency[0][1]).toMatchObject({ count: 3, sum: 555, min: 5, max: 500, buckets: { boundaries: [10, 100], counts: [1, 1, 1] } });
    expect(out.temp).toEqual([[{ room: 'a' }, 21]]);
  });

  it('stays valid across delta collections: the series is pinned, not reclaimed', async () => {
    const { meter, reader } = setup({ readers: [deltaReader()] });
    const counter = meter.createCounter('jobs');
    const handle = bind(counter, { queue: 'q1' });
    handle.add(1);
    expect((await points(reader)).jobs).toEqual([[{ queue: 'q1' }, 1]]);
    expect(await points(reader)).toEqual({}); // an idle interval: nothing reported
    expect(await points(reader)).toEqual({});
    handle.add(4);
    counter.add(1, { queue: 'q1' });
    expect((await points(reader)).jobs).toEqual([[{ queue: 'q1' }, 5]]);
  });

  it('drops bad values like add() does and never throws', async () => {
    const { meter, reader } = setup();
    const handle = bind(meter.createCounter('c'), { k: 'v' });
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY, '3' as unknown as number, undefined as unknown as number]) {
      expect(() => handle.add(bad)).not.toThrow();
    }
    handle.add(2);
    expect((await points(reader)).c).toEqual([[{ k: 'v' }, 2]]);
  });

  it('respects the cardinality limit: binding past it yields the overflow series', async () => {
    const { provider, reader } = setup({ views: [{ instrumentName: 'c', aggregationCardinalityLimit: 2 }] });
    const counter = provider.getMeter('m').createCounter('c');
    counter.add(1, { k: 'first' });
    bind(counter, { k: 'second' }).add(5);
    expect((await points(reader)).c).toEqual([
      [{ k: 'first' }, 1],
      [{ 'otel.metric.overflow': true }, 5],
    ]);
  });

  it('unbind() makes the handle inert', async () => {
    const { meter, reader } = setup();
    const handle = bind(meter.createCounter('c'), { k: 'v' });
    handle.add(1);
    handle.unbind();
    handle.add(100);
    expect((await points(reader)).c).toEqual([[{ k: 'v' }, 1]]);
  });

  it('works with instruments from another provider (forwards to add/record)', () => {
    const noop = metrics.getMeterProvider().getMeter('x').createCounter('c');
    expect(() => bind(noop, { a: 1 }).add(1)).not.toThrow();
  });
});
