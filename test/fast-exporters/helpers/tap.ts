// The conformance suite's collections, read through @fastmeter/exporters' fast
// path and checked against the standard serialisers, at every collection of
// every scenario (test/conformance/harness.ts `setCollectTap`).
//
//   World.collect(i) (fastmeter run) ──► tap.collect(reader)
//        collectColumns(seam) ──► columns ──► our Prometheus text (3 option sets), OpenMetrics, OTLP
//        seam.toMetricData(same snapshots) ──► ResourceMetrics ──► the standard serialisers
//        └─► returned to the World, so the conformance comparison with sdk-metrics still runs
//
// The reference data is what reader.collect() would have returned (the sdk's
// collect() is the same snapshot → toMetricData), and the series attributes
// come from two independent places: the sdk's attribute tables (reference) and
// the entries announced at series creation (fast path).
import type { CollectionResult } from '@opentelemetry/sdk-metrics';
import { isDeepStrictEqual } from 'node:util';
import { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { JsonMetricsSerializer, ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import { type ReadSeam, readSeamOf } from '@fastmeter/sdk/internal';
import {
  ClassicTextWriter,
  type ColumnCollection,
  OpenMetricsWriter,
  type PrometheusFormatOptions,
  SeriesStore,
  Slicer,
  collectColumns,
  encodeJson,
  encodeProtobuf,
  millisToHrTime,
} from '@fastmeter/exporters/internal';
import { detectLine } from '@fastmeter/exporters';
import type { CollectTap, TestReader } from '../../conformance/harness.js';
import { firstDifference } from './diff.js';
import { decodeJson, decodeProtobuf } from '../../../packages/exporters/test/helpers/schema.js';

type Formats = Omit<PrometheusFormatOptions, 'line'>;

/** The option sets every collection is serialised with. */
export const PROMETHEUS_OPTIONS: readonly Formats[] = [
  { prefix: '', appendTimestamp: false, withResourceConstantLabels: undefined, withoutScopeInfo: false, withoutTargetInfo: false },
  { prefix: 'pre', appendTimestamp: true, withResourceConstantLabels: /service/, withoutScopeInfo: false, withoutTargetInfo: false },
  { prefix: '', appendTimestamp: false, withResourceConstantLabels: undefined, withoutScopeInfo: true, withoutTargetInfo: true },
];

interface Bound {
  seam: ReadSeam;
  store: SeriesStore;
}

export interface TapStats {
  collections: number;
  points: number;
  prometheusChecks: number;
  /** OTLP bodies compared field by field (decoded with the official schema). */
  otlpChecks: number;
  /** ... of which byte-identical to the standard serialiser's. */
  otlpByteIdentical: number;
  slicedCollections: number;
  pauses: number;
}

export class ExporterTap implements CollectTap {
  readonly stats: TapStats = { collections: 0, points: 0, prometheusChecks: 0, otlpChecks: 0, otlpByteIdentical: 0, slicedCollections: 0, pauses: 0 };
  /** OpenMetrics documents kept for the strict parser (at most `maxOpenMetrics`). */
  readonly openMetrics: string[] = [];
  private readonly _bound = new WeakMap<TestReader, Bound>();
  /** Readers with sdk-metrics' self-observability on: their collect() records its own duration; left to it. */
  private readonly _selfObserved = new WeakSet<TestReader>();
  private readonly _classic = PROMETHEUS_OPTIONS.map(o => ({
    ours: new ClassicTextWriter({ ...o, line: detectLine() }),
    standard: new PrometheusSerializer(o.prefix, o.appendTimestamp, o.withResourceConstantLabels, o.withoutTargetInfo, o.withoutScopeInfo),
  }));
  private readonly _om = new OpenMetricsWriter({ ...PROMETHEUS_OPTIONS[0], line: detectLine() });
  /** Settles when the last collection started so far has returned. */
  private _tail: Promise<void> = Promise.resolve();

  constructor(
    private readonly _maxOpenMetrics = 4000,
    private readonly _openMetricsEvery = 1,
  ) {}

  attach(reader: TestReader): void {
    const r = reader as unknown as { _setSelfObsMeterProvider?: (provider: unknown) => void };
    const setSelfObs = r._setSelfObsMeterProvider?.bind(reader);
    if (setSelfObs !== undefined) {
      r._setSelfObsMeterProvider = provider => {
        this._selfObserved.add(reader);
        setSelfObs(provider);
      };
    }
    const setMetricProducer = reader.setMetricProducer.bind(reader);
    reader.setMetricProducer = producer => {
      const seam = readSeamOf(producer);
      if (seam !== undefined) this._bound.set(reader, { seam, store: new SeriesStore(seam) });
      setMetricProducer(producer);
    };
  }

  async collect(reader: TestReader, options?: { timeoutMillis?: number }): Promise<CollectionResult> {
    const bound = this._bound.get(reader);
    // Not bound, or shut down: the standard collect() throws what it throws. A reader with
    // sdk-metrics' self-observability records its collection's duration in collect(): not replaced.
    if (bound === undefined || (reader as unknown as { _shutdown: boolean })._shutdown || this._selfObserved.has(reader)) return reader.collect(options);
    // Concurrent collections return in the order they started, as the standard ones do here
    // (the World records collections as they return); the slices below must not reorder them.
    const previous = this._tail;
    let done = () => {};
    this._tail = new Promise(resolve => {
      done = resolve;
    });
    try {
      const result = await this._collect(bound, options);
      await previous;
      return result;
    } finally {
      done();
    }
  }

  private async _collect(bound: Bound, options?: { timeoutMillis?: number }): Promise<CollectionResult> {
    const n = this.stats.collections++;
    // Every third collection is cut into the smallest slices, to serialise while "other work" runs.
    const sliced = n % 3 === 0;
    const slicer = new Slicer(sliced ? 0.001 : 60_000);
    const columns = await collectColumns(bound.seam, bound.store, slicer, options?.timeoutMillis);
    const result = reference(bound.seam, columns);
    for (const m of columns.scopes.flatMap(s => s.metrics)) this.stats.points += m.count;
    for (const [i, { ours, standard }] of this._classic.entries()) {
      const text = Buffer.concat(await ours.write(columns, slicer)).toString('utf8');
      const expected = standard.serialize(result.resourceMetrics as never);
      if (text !== expected) {
        throw new Error(`Prometheus text (options #${i}) differs from PrometheusSerializer at collection ${n}: ${firstDifference(expected, text)}`);
      }
      this.stats.prometheusChecks++;
    }
    // OTLP: both encodings, field by field through the official schema (and byte by byte when they match).
    const rm = result.resourceMetrics as never;
    if (columns.scopes.length > 0) {
      this._otlp('protobuf', n, await encodeProtobuf(columns, slicer), ProtobufMetricsSerializer.serializeRequest(rm) as Uint8Array, decodeProtobuf);
      this._otlp('JSON', n, await encodeJson(columns, slicer), JsonMetricsSerializer.serializeRequest(rm) as Uint8Array, decodeJson);
    }
    if (n % this._openMetricsEvery === 0 && this.openMetrics.length < this._maxOpenMetrics)
      this.openMetrics.push(Buffer.concat(await this._om.write(columns, slicer)).toString('utf8'));
    slicer.finish();
    if (sliced) {
      this.stats.slicedCollections++;
      this.stats.pauses += slicer.slices - 1;
    }
    return result;
  }

  private _otlp(format: string, n: number, ours: Uint8Array, standard: Uint8Array, decode: (body: Uint8Array) => Record<string, unknown>): void {
    // Ours always goes through the official schema (a body it cannot read fails here). Field
    // identity: equal bytes decode equally; different bytes must at least decode to the same message
    // (and are still reported, as every body so far has been byte-identical).
    const decoded = decode(ours);
    this.stats.otlpChecks++;
    if (Buffer.compare(Buffer.from(ours), Buffer.from(standard)) === 0) {
      this.stats.otlpByteIdentical++;
      return;
    }
    const expected = decode(standard);
    if (!isDeepStrictEqual(expected, decoded)) {
      throw new Error(
        `OTLP ${format} body differs from the standard serialiser's at collection ${n}: ${firstDifference(JSON.stringify(expected), JSON.stringify(decoded))}`,
      );
    }
  }
}

/** The ResourceMetrics reader.collect() would have returned: the sdk's own objects for the same snapshots. */
function reference(seam: ReadSeam, columns: ColumnCollection): CollectionResult {
  const endTime = millisToHrTime(columns.collectionMs) as [number, number];
  const scopeMetrics = columns.scopes.map(({ scope, metrics }) => ({
    scope,
    metrics: metrics.map(m => {
      if (m.stream === undefined || m.snapshot === undefined) throw new Error('fast path expected');
      return seam.toMetricData(m.stream, m.snapshot, seam.attributes(m.stream), endTime);
    }),
  }));
  return { resourceMetrics: { resource: seam.resource, scopeMetrics }, errors: columns.errors } as unknown as CollectionResult;
}
