// The data the receiver hands to a ring: the shape of sdk-metrics' ResourceMetrics
// (what a MetricReader collects), so that `ring.ingest(...)` takes points received
// over OTLP exactly like points collected in-process. Enum-typed fields carry the
// numeric values of sdk-metrics' enums (matched by value, never by import: an
// application may hold several copies of sdk-metrics).
import type { Attributes } from '@opentelemetry/api';
import type { DataPoint, ExponentialHistogram, Histogram } from '@fastmeter/sdk';

/** sdk-metrics `DataPointType`. */
export const DataPointType = { HISTOGRAM: 0, EXPONENTIAL_HISTOGRAM: 1, GAUGE: 2, SUM: 3 } as const;
/** sdk-metrics `AggregationTemporality`. */
export const Temporality = { DELTA: 0, CUMULATIVE: 1 } as const;
/** @opentelemetry/api `ValueType`. */
export const ValueType = { INT: 0, DOUBLE: 1 } as const;

export interface MetricDescriptor {
  readonly name: string;
  readonly description: string;
  readonly unit: string;
  /** sdk-metrics `InstrumentType` ('COUNTER', 'UP_DOWN_COUNTER', 'GAUGE', 'HISTOGRAM'). */
  readonly type: string;
  readonly valueType: number;
}

// The point values are the SDK's own declarations (structurally sdk-metrics' MetricData.ts).
export type { DataPoint, ExponentialHistogram, Histogram } from '@fastmeter/sdk';

export interface MetricData {
  readonly descriptor: MetricDescriptor;
  readonly aggregationTemporality: number;
  readonly dataPointType: number;
  readonly isMonotonic?: boolean;
  readonly dataPoints: DataPoint<number | Histogram | ExponentialHistogram>[];
}

export interface ScopeMetrics {
  readonly scope: { name: string; version?: string; schemaUrl?: string };
  readonly metrics: MetricData[];
}

/** The resource, as sdk-metrics' `Resource` exposes it to readers. */
export interface ReceivedResource {
  readonly attributes: Attributes;
  readonly schemaUrl?: string;
}

export interface ResourceMetrics {
  readonly resource: ReceivedResource;
  readonly scopeMetrics: ScopeMetrics[];
}

/** What the receiver needs from a ring (`RingBufferReader` satisfies it). */
export interface IngestTarget {
  ingest(resourceMetrics: ResourceMetrics): unknown;
}
