// nodeSetup: the @fastmeter/node extension entry (configuration file keys).
import { describe, expect, it } from 'vitest';
import { FastMeterConfigError } from '@fastmeter/sdk';
import { AdaptiveSampler, BreakerState, CircuitBreakerExporter, nodeSetup } from '@fastmeter/processors';
import { ScriptedExporter } from './breaker/scripted.js';

describe('nodeSetup', () => {
  it('both processors by default; wrapExporter adds one breaker per exporter, attached as a processor', () => {
    const ext = nodeSetup();
    expect(ext.sampler).toBeInstanceOf(AdaptiveSampler);
    const wrapped = ext.wrapExporter(new ScriptedExporter(), 'otlp');
    expect(wrapped).toBeInstanceOf(CircuitBreakerExporter);
    expect((wrapped as CircuitBreakerExporter).name).toBe('otlp');
    expect((wrapped as CircuitBreakerExporter).state).toBe(BreakerState.CLOSED);
    expect(ext.processors).toEqual([ext.sampler, wrapped]);
  });

  it('translates the snake_case keys', () => {
    const ext = nodeSetup({
      sampler: { budget: 500, total_budget: 2000, interval: 250, event_loop_delay_threshold: 0 },
      circuit_breaker: { failure_threshold: 7, backoff_initial: 100, backoff_max: 200, max_pending_bytes: 1024, max_new_series_per_second_while_open: 5 },
    });
    const breaker = ext.wrapExporter(new ScriptedExporter()) as CircuitBreakerExporter;
    const o = (breaker as unknown as { _o: Record<string, unknown> })._o;
    expect(o).toMatchObject({ failureThreshold: 7, initialMillis: 100, maxMillis: 200, maxPendingBytes: 1024, seriesLimit: 5 });
    const s = ext.sampler as unknown as { _intervalMs: number; _total: number; _budget: number; _pressure: { _threshold: number } };
    expect([s._budget, s._total, s._intervalMs, s._pressure._threshold]).toEqual([500, 2000, 250, 0]);
  });

  it('false (or enabled: false) turns one off', () => {
    expect(nodeSetup({ sampler: false }).sampler).toBeUndefined();
    const inner = new ScriptedExporter();
    expect(nodeSetup({ circuit_breaker: { enabled: false } }).wrapExporter(inner)).toBe(inner);
  });

  it('unknown keys and bad values are configuration errors naming the key', () => {
    expect(() => nodeSetup({ samplr: {} })).toThrow(/fastmeter\.processors\.samplr/);
    expect(() => nodeSetup({ sampler: { budgets: 3 } })).toThrow(/fastmeter\.processors\.sampler\.budgets/);
    expect(() => nodeSetup({ circuit_breaker: { failure_threshold: 'x' } })).toThrow(FastMeterConfigError);
    expect(() => nodeSetup({ sampler: { budget: -1 } })).toThrow(/budget/);
  });
});
