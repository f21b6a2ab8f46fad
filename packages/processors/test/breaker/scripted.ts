// A PushMetricExporter whose answers a test scripts, and helpers that turn
// recorded measurements into real ResourceMetrics (a FastMeterProvider and a
// reader collect them).
import type { Attributes } from '@opentelemetry/api';
import { AggregationTemporality, type MetricData, type ResourceMetrics } from '@fastmeter/sdk';
import { type ExportResult, ExportResultCode, type PushMetricExporter } from '@fastmeter/processors';

export type Mode = 'ok' | 'fail' | 'hang' | 'throw' | 'twice';

export class ScriptedExporter implements PushMetricExporter {
  readonly received: ResourceMetrics[] = [];
  /** Every call, answered or not. */
  calls = 0;
  mode: Mode = 'ok';
  /** Answers of hanging calls, to release them later. */
  readonly hanging: ((r: ExportResult) => void)[] = [];
  flushes = 0;
  shutdowns = 0;
  flushHangs = false;

  constructor(private readonly _temporality?: AggregationTemporality) {}

  selectAggregationTemporality(): AggregationTemporality {
    return this._temporality ?? AggregationTemporality.CUMULATIVE;
  }

  export(metrics: ResourceMetrics, cb: (r: ExportResult) => void): void {
    this.calls++;
    switch (this.mode) {
      case 'ok':
        this.received.push(metrics);
        cb({ code: ExportResultCode.SUCCESS });
        return;
      case 'fail':
        cb({ code: ExportResultCode.FAILED, error: new Error('HTTP 503') });
        return;
      case 'hang':
        this.hanging.push(cb);
        return;
      case 'throw':
        throw new Error('exporter threw');
      case 'twice':
        this.received.push(metrics);
        cb({ code: ExportResultCode.SUCCESS });
        cb({ code: ExportResultCode.FAILED, error: new Error('second answer') });
    }
  }

  forceFlush(): Promise<void> {
    this.flushes++;
    return this.flushHangs ? new Promise(() => {}) : Promise.resolve();
  }

  shutdown(): Promise<void> {
    this.shutdowns++;
    return this.flushHangs ? new Promise(() => {}) : Promise.reject(new Error('shutdown failed'));
  }
}

/** breaker.export as a promise. */
export function exportOnce(exporter: PushMetricExporter, metrics: ResourceMetrics): Promise<ExportResult> {
  return new Promise(resolve => exporter.export(metrics, resolve));
}

/** `metric name -> attributes JSON -> value` over every ResourceMetrics given. */
export function valuesOf(batches: readonly ResourceMetrics[]): Record<string, Record<string, unknown[]>> {
  const out: Record<string, Record<string, unknown[]>> = {};
  for (const rm of batches)
    for (const sm of rm.scopeMetrics)
      for (const m of sm.metrics as MetricData[])
        for (const p of m.dataPoints as { attributes: Attributes; value: unknown }[]) {
          const key = JSON.stringify(p.attributes);
          ((out[m.descriptor.name] ??= {})[key] ??= []).push(p.value);
        }
  return out;
}

/** Sum of every delta/cumulative SUM value of `name` over the batches. */
export function total(batches: readonly ResourceMetrics[], name: string): number {
  let n = 0;
  for (const values of Object.values(valuesOf(batches)[name] ?? {})) for (const v of values) n += v as number;
  return n;
}
