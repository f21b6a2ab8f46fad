// What the dashboard, the alert rules and the CLI ask of a ring, in one small
// interface: instant and range answers to a query string, and the list of
// metrics with their series for the picker. `ringSource(ring)` adapts a
// RingBufferReader to it; tests and other stores can implement it directly.

/** Labels of a series: the metric's attributes and resource attributes, as strings. */
export type Labels = Record<string, string>;

export interface Sample {
  labels: Labels;
  value: number;
}

export interface RangeSeries {
  labels: Labels;
  /** Milliseconds since the epoch, ascending. */
  timestamps: number[];
  values: number[];
}

export interface MetricInfo {
  name: string;
  description: string;
  unit: string;
  /** 'counter' | 'updowncounter' | 'gauge' | 'histogram' | 'exponential_histogram' */
  kind: string;
  /** The instrumentation scope (meter) that reported it; 'fastmeter' for fastmeter's own metrics. */
  meter: string;
  /** Label sets of its live series (bounded by the ring's cardinality limit). */
  series: Labels[];
}

export interface QuerySource {
  /** The answer of `expr` at `timeMs` (an instant vector). */
  instant(expr: string, timeMs: number): Promise<Sample[]>;
  /** The answer of `expr` at every step in [startMs, endMs] (a range query). */
  range(expr: string, startMs: number, endMs: number, stepMs: number): Promise<RangeSeries[]>;
  /** Every metric the ring holds, with its descriptor and series. */
  metrics(): Promise<MetricInfo[]>;
  /**
   * Per-second rates of each bucket of a histogram metric, summed over its series,
   * on the grid start, start + step, ... ≤ end (the heatmap). Optional: without it
   * the page has no heatmap.
   */
  buckets?(metric: string, startMs: number, endMs: number, stepMs: number): Promise<{ le: string; timestamps: number[]; values: number[] }[]>;
}
