// The corners of the API and of views, fed to both SDKs behind both exporters:
// INT truncation, dropped negative values, attribute kinds and key order, label
// escaping, duplicate registration, odd names, every view feature, cardinality
// overflow, async and failing callbacks, a resetting observable counter, batch
// callbacks, and a histogram view on an observable gauge.
import { type MeterProvider, ValueType } from '@opentelemetry/api';
import {
  AggregationType,
  InstrumentType,
  type ViewOptions,
  createAllowListAttributesProcessor,
  createDenyListAttributesProcessor,
} from '@opentelemetry/sdk-metrics';

export const EDGE_SCOPE = { name: 'edge', schemaUrl: 'https://example.com/schema' } as const;
export const VIEWS_SCOPE = { name: 'edge.views', version: '0.1' } as const;

export const EDGE_VIEWS: ViewOptions[] = [
  { instrumentName: 'renamed.source', name: 'renamed.target', description: 'Renamed by a view' },
  { instrumentName: 'filtered.allow', attributesProcessors: [createAllowListAttributesProcessor(['keep'])] },
  { instrumentName: 'filtered.deny', attributesProcessors: [createDenyListAttributesProcessor(['secret'])] },
  // Not a key filter: called per measurement, in both SDKs.
  { instrumentName: 'filtered.custom', attributesProcessors: [{ process: incoming => ({ ...incoming, tier: 'gold' }) }] },
  { instrumentName: 'dropped', aggregation: { type: AggregationType.DROP } },
  { instrumentName: 'no.minmax', aggregation: { type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM, options: { boundaries: [1, 10], recordMinMax: false } } },
  { instrumentName: 'hist.as.sum', aggregation: { type: AggregationType.SUM } },
  { instrumentName: 'counter.as.last', aggregation: { type: AggregationType.LAST_VALUE } },
  { instrumentName: 'updown.hist', aggregation: { type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM, options: { boundaries: [0] } } },
  { instrumentName: 'updown.exp', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM, options: { maxSize: 4 } } },
  { instrumentName: 'limited', aggregationCardinalityLimit: 3 },
  {
    instrumentType: InstrumentType.OBSERVABLE_GAUGE,
    meterName: VIEWS_SCOPE.name,
    aggregation: { type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM, options: { boundaries: [5] } },
  },
];

export interface EdgeScenario {
  phase1(): void;
  phase2(): void;
}

export function edgeScenario(provider: MeterProvider): EdgeScenario {
  const meter = provider.getMeter(EDGE_SCOPE.name, undefined, { schemaUrl: EDGE_SCOPE.schemaUrl });
  const views = provider.getMeter(VIEWS_SCOPE.name, VIEWS_SCOPE.version);

  const intCounter = meter.createCounter('int.counter', { valueType: ValueType.INT });
  const kinds = meter.createCounter('attr.kinds');
  const dup1 = meter.createCounter('dup', { description: 'first' });
  const dup2 = meter.createCounter('dup', { description: 'first' });
  const odd = meter.createUpDownCounter('odd-name/with.chars_total', { unit: 'm/s' });

  const renamed = views.createCounter('renamed.source');
  const allow = views.createCounter('filtered.allow');
  const deny = views.createHistogram('filtered.deny', { advice: { explicitBucketBoundaries: [10] } });
  const custom = views.createUpDownCounter('filtered.custom');
  const dropped = views.createCounter('dropped');
  const noMinMax = views.createHistogram('no.minmax');
  const histAsSum = views.createHistogram('hist.as.sum');
  const counterAsLast = views.createCounter('counter.as.last');
  const updownHist = views.createUpDownCounter('updown.hist');
  const updownExp = views.createUpDownCounter('updown.exp');
  const limited = views.createCounter('limited');

  const observed = { gauge: 2.9, total: 10 };
  meter.createObservableGauge('int.gauge', { valueType: ValueType.INT }).addCallback(r => r.observe(observed.gauge, { k: 'v' }));
  meter.createObservableCounter('resetting').addCallback(async r => {
    await Promise.resolve();
    r.observe(observed.total);
  });
  meter.createObservableCounter('throws').addCallback(() => {
    throw new Error('callback failure');
  });
  const batchA = meter.createObservableUpDownCounter('batch.a');
  const batchB = meter.createObservableGauge('batch.b');
  meter.addBatchObservableCallback(
    r => {
      r.observe(batchA, -4, { x: 1 });
      r.observe(batchB, 0.5);
    },
    [batchA, batchB],
  );
  views.createObservableGauge('obs.hist').addCallback(r => {
    r.observe(3);
    r.observe(7, { other: true });
  });

  return {
    phase1() {
      intCounter.add(1.7);
      intCounter.add(2, { k: 'v' });
      intCounter.add(-1);
      kinds.add(1, { b: 1, a: 2 });
      kinds.add(1, { a: 2, b: 1 });
      kinds.add(1, { flag: true, ratio: 1.5, list: ['x', 'y'], empty: '', quote: 'say "hi"\\ now\nnext', 'dotted.key-x': 'v' });
      kinds.add(1, { flag: false });
      dup1.add(1);
      dup2.add(2);
      odd.add(-1.5, { 'http.method': 'GET' });
      renamed.add(3);
      allow.add(1, { keep: 'k', drop: 1 });
      allow.add(2, { drop: 2, keep: 'k' });
      allow.add(4, { drop: 3 });
      deny.record(5, { secret: 's1', route: '/x' });
      deny.record(50, { route: '/x', secret: 's2' });
      custom.add(2, { user: 'u' });
      custom.add(-5);
      dropped.add(5);
      for (const v of [0.5, 5, 50]) noMinMax.record(v);
      histAsSum.record(2);
      histAsSum.record(3);
      counterAsLast.add(4);
      counterAsLast.add(6);
      updownHist.add(-2);
      updownHist.add(3);
      for (const v of [-8, -1, 0, 1, 8, 64]) updownExp.add(v);
      for (const s of ['a', 'b', 'c', 'd', 'e']) limited.add(1, { s });
    },
    phase2() {
      intCounter.add(3);
      limited.add(1, { s: 'a' });
      limited.add(1, { s: 'f' });
      allow.add(8, { keep: 'k', drop: 9 });
      observed.gauge = -3.5;
      // The observed total goes down: the counter restarted.
      observed.total = 4;
    },
  };
}
