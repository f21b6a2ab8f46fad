// The read seam (@fastmeter/sdk/internal) that @fastmeter/exporters serialises
// from: a reader's collection as columns must be exactly what reader.collect()
// exports (same points, same bookkeeping), a consistent copy, and every new
// series must be announced once with its exported attributes.
import type { Attributes } from '@opentelemetry/api';
import { AggregationTemporality, AggregationType, type MetricProducer, type MetricReaderOptions } from '@opentelemetry/sdk-metrics';
import { FastMeterProvider } from '@fastmeter/sdk';
import { type ReadSeam, type SeamStream, readSeamOf } from '@fastmeter/sdk/internal';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { TestReader } from '../helpers.js';

/** A reader that keeps its producer, to reach the seam. */
class SeamReader extends TestReader {
  producer: MetricProducer | undefined;
  override setMetricProducer(producer: MetricProducer): void {
    this.producer = producer;
    super.setMetricProducer(producer);
  }
  get seam(): ReadSeam {
    const seam = readSeamOf(this.producer);
    if (seam === undefined) throw new Error('no read seam');
    return seam;
  }
}

// Both readers of a comparison collect at the same (fake) time.
beforeAll(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(1_700_000_000_123);
});
afterAll(() => {
  vi.useRealTimers();
});

const delta: MetricReaderOptions = { aggregationTemporalitySelector: () => AggregationTemporality.DELTA };

/** Collects `reader` through the seam and builds sdk-metrics' data from the columns. */
async function collectThroughSeam(reader: SeamReader, at = Date.now()) {
  const seam = reader.seam;
  const collection = await seam.begin(at);
  const endTime: [number, number] = [Math.trunc(at / 1000), (at % 1000) * 1e6];
  const metrics = [];
  for (const scope of collection.scopes) {
    for (const stream of scope.streams) {
      const snapshot = seam.snapshot(stream, at);
      if (snapshot !== undefined) metrics.push(seam.toMetricData(stream, snapshot, seam.attributes(stream), endTime));
    }
  }
  return metrics;
}

function record(provider: FastMeterProvider, round: number): void {
  const meter = provider.getMeter('seam');
  const c = meter.createCounter('c');
  const h = meter.createHistogram('h', { advice: { explicitBucketBoundaries: [1, 10] } });
  const g = meter.createGauge('g');
  const e = meter.createHistogram('e');
  for (let i = 0; i < 5 + round; i++) {
    c.add(i + 1, { i: i % 4 });
    h.record(i * 3, { i: i % 3 });
    g.record(i - round, { i: i % 2 });
    e.record(i + 0.5, { i: 0 });
  }
}

const views = [{ instrumentName: 'e', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM } }];

describe('ReadSeam.snapshot', () => {
  for (const [layout, options] of [
    ['cumulative', {}],
    ['shared (two delta readers)', delta],
  ] as const) {
    it(`equals reader.collect() of a reader with the same selectors (${layout})`, async () => {
      const seamReader = new SeamReader(options);
      const plain = new TestReader(options);
      const provider = new FastMeterProvider({ readers: [seamReader, plain], views });
      for (let round = 0; round < 3; round++) {
        record(provider, round);
        const now = Date.now();
        const viaSeam = await collectThroughSeam(seamReader, now);
        const { resourceMetrics } = await plain.collect();
        const viaCollect = resourceMetrics.scopeMetrics.flatMap(s => s.metrics);
        expect(viaSeam.map(m => m.descriptor.name)).toEqual(['e', 'c', 'h', 'g']);
        expect(viaSeam).toEqual(viaCollect);
        vi.setSystemTime(Date.now() + 1000);
      }
    });
  }

  it('consumes a single delta reader state like collect(): each interval once', async () => {
    const reader = new SeamReader(delta);
    const provider = new FastMeterProvider({ readers: [reader] });
    const c = provider.getMeter('m').createCounter('c');
    c.add(2, { k: 'a' });
    c.add(3, { k: 'b' });
    let [metric] = await collectThroughSeam(reader);
    expect(metric.aggregationTemporality).toBe(AggregationTemporality.DELTA);
    expect(metric.dataPoints.map(p => [p.attributes, p.value])).toEqual([
      [{ k: 'a' }, 2],
      [{ k: 'b' }, 3],
    ]);
    c.add(5, { k: 'b' });
    [metric] = await collectThroughSeam(reader);
    expect(metric.dataPoints.map(p => [p.attributes, p.value])).toEqual([[{ k: 'b' }, 5]]);
    expect(await collectThroughSeam(reader)).toEqual([]);
  });

  it('is a copy: measurements after the snapshot do not change it', async () => {
    const reader = new SeamReader();
    const provider = new FastMeterProvider({ readers: [reader] });
    const meter = provider.getMeter('m');
    const c = meter.createCounter('c');
    const h = meter.createHistogram('h', { advice: { explicitBucketBoundaries: [10] } });
    c.add(1, { k: 'a' });
    h.record(5);
    const collection = await reader.seam.begin(Date.now());
    const [cs, hs] = collection.scopes[0].streams.map(s => reader.seam.snapshot(s, collection.collectionMs));
    c.add(100, { k: 'a' });
    h.record(50);
    h.record(1);
    expect(cs?.values).toEqual({ kind: 'number', values: new Float64Array([1]) });
    const hv = hs?.values;
    if (hv?.kind !== 'histogram') throw new Error('expected histogram columns');
    expect([...hv.counts]).toEqual([1, 0]);
    expect([hv.count[0], hv.sum?.[0], hv.min?.[0], hv.max?.[0]]).toEqual([1, 5, 5, 5]);
  });

  it('lists only the streams bound to its reader', async () => {
    const cumulative = new SeamReader();
    const dropping = new SeamReader({ aggregationSelector: () => ({ type: AggregationType.DROP }) });
    const provider = new FastMeterProvider({ readers: [cumulative, dropping] });
    provider.getMeter('m').createCounter('c').add(1);
    expect((await cumulative.seam.begin(Date.now())).scopes.flatMap(s => s.streams.map(x => x.descriptor.name))).toEqual(['c']);
    expect((await dropping.seam.begin(Date.now())).scopes).toEqual([]);
  });
});

describe('ReadSeam.onSeries', () => {
  it('announces every series of the reader’s streams once, with its exported attributes, overflow included', async () => {
    const reader = new SeamReader({ cardinalitySelector: () => 3 });
    const other = new SeamReader({ aggregationSelector: () => ({ type: AggregationType.DROP }) });
    const provider = new FastMeterProvider({ readers: [reader, other] });
    const seen: [string, number, Attributes][] = [];
    const seenByOther: unknown[] = [];
    reader.seam.onSeries((stream: SeamStream, sid, keys, values) => {
      const attributes: Attributes = {};
      keys.forEach((k, i) => {
        attributes[k] = values[i] as Attributes[string];
      });
      seen.push([stream.descriptor.name, sid, attributes]);
    });
    other.seam.onSeries((...args) => seenByOther.push(args));
    const c = provider.getMeter('m').createCounter('c');
    c.add(1, { b: 1, a: 'x' });
    c.add(1, { a: 'x', b: 1 }); // same series, other key order
    c.add(1);
    c.add(1, { a: 'y' }); // past the limit of 3 (2 series + overflow)
    c.add(1, { a: 'z' });
    expect(seen).toEqual([
      ['c', 0, { b: 1, a: 'x' }],
      ['c', 1, {}],
      ['c', 2, { 'otel.metric.overflow': true }],
    ]);
    expect(seenByOther).toEqual([]);
    // What the reader exports for those ids is the same attributes.
    const [metric] = await collectThroughSeam(reader);
    expect(metric.dataPoints.map(p => p.attributes)).toEqual(seen.map(s => s[2]));
  });

  it('stops after unsubscribing; a throwing observer never reaches the recording call', () => {
    const reader = new SeamReader();
    const provider = new FastMeterProvider({ readers: [reader] });
    let calls = 0;
    const stop = reader.seam.onSeries(() => {
      calls++;
      throw new Error('observer bug');
    });
    const c = provider.getMeter('m').createCounter('c');
    expect(() => c.add(1, { a: 1 })).not.toThrow();
    stop();
    c.add(1, { a: 2 });
    expect(calls).toBe(1);
  });
});

describe('readSeamOf', () => {
  it('is undefined for anything but a FastMeterProvider producer', () => {
    expect(readSeamOf(undefined)).toBeUndefined();
    expect(readSeamOf({ collect: async () => ({}) })).toBeUndefined();
    expect(readSeamOf(42)).toBeUndefined();
  });
});

describe('exported attributes', () => {
  it('array values keep NaN and ±Infinity wherever the trie stores them (they used to become null in shared nodes)', async () => {
    const reader = new SeamReader();
    const provider = new FastMeterProvider({ readers: [reader] });
    const announced: unknown[][] = [];
    reader.seam.onSeries((_s, _sid, _keys, values) => announced.push([...values]));
    const c = provider.getMeter('m').createCounter('c');
    c.add(1, { t: [1.5, Number.NaN], z: 1 }); // the array value sits in the root node
    c.add(1, { t: [1.5, Number.NaN], z: 2 });
    c.add(1, { y: 0, u: [Number.POSITIVE_INFINITY] }); // ... and in a tail
    c.add(1, { y: 0, u: [Number.POSITIVE_INFINITY], w: 1 }); // the tail splits into a node
    const { resourceMetrics } = await reader.collect();
    const exported = resourceMetrics.scopeMetrics[0].metrics[0].dataPoints.map(p => Object.values(p.attributes));
    expect(exported).toEqual([
      [[1.5, Number.NaN], 1],
      [[1.5, Number.NaN], 2],
      [0, [Number.POSITIVE_INFINITY]],
      [0, [Number.POSITIVE_INFINITY], 1],
    ]);
    expect(exported).toEqual(announced);
  });
});
