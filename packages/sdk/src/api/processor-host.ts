// The part of a provider that measurement processors may use (ProcessorHost):
// fastmeter's self-metrics meter, and the new-series rate limit, which a
// circuit breaker or a backpressure controller may lower for a while.
import type { Meter } from '@opentelemetry/api';
import type { Health } from '../common/health.js';
import type { MeasurementProcessor, ProcessorHost } from './processor.js';

export class Host implements ProcessorHost {
  private readonly _limits = new Map<object, number>();

  constructor(
    readonly selfMeter: Meter | undefined,
    private readonly _health: Health,
    /** `maxNewSeriesPerSecond` as configured (Infinity: none). */
    private readonly _configured: number,
  ) {}

  get maxNewSeriesPerSecond(): number {
    return this._health.seriesRateLimit;
  }

  limitNewSeries(source: object, perSecond: number | undefined): void {
    if (perSecond === undefined || !(perSecond >= 0)) this._limits.delete(source);
    else this._limits.set(source, perSecond);
    let limit = this._configured;
    for (const l of this._limits.values()) if (l < limit) limit = l;
    if (limit !== this._health.seriesRateLimit) this._health.setSeriesRateLimit(limit);
  }
}

/**
 * Calls `attach(host)` on every processor that has it and returns what to call
 * at shutdown. A processor that throws is warned about, never fatal.
 */
export function attachProcessors(processors: readonly MeasurementProcessor[], host: ProcessorHost, health: Health): () => void {
  const detach: (() => void)[] = [];
  for (const [i, p] of processors.entries()) {
    try {
      const d = p.attach?.(host);
      if (typeof d === 'function') detach.push(d);
    } catch (err) {
      health.warn(`processor-attach:${i}`, `fastmeter: processors[${i}].attach() threw: ${(err as Error)?.message ?? String(err)}`);
    }
  }
  return () => {
    for (const d of detach.splice(0)) {
      try {
        d();
      } catch (err) {
        health.warn('processor-detach', `fastmeter: a measurement processor's detach function threw: ${(err as Error)?.message ?? String(err)}`);
      }
    }
  };
}
