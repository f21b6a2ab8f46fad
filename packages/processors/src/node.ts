// The @fastmeter/node extension entry: `fastmeter.processors` in a
// configuration file (or `extensions.processors` in start()) becomes an
// AdaptiveSampler and a CircuitBreakerExporter around each push exporter
// @fastmeter/node builds. Keys are the configuration file's snake_case.
import type { MeasurementProcessor } from '@fastmeter/sdk';
import { CircuitBreakerExporter, type CircuitBreakerOptions, type PushMetricExporter } from './breaker/breaker.js';
import { invalid } from './options.js';
import { AdaptiveSampler, type AdaptiveSamplerOptions } from './sampling/sampler.js';

export interface ProcessorsExtension {
  processors: MeasurementProcessor[];
  /** Wraps a push exporter in a circuit breaker (identity when the breaker is off). */
  wrapExporter(exporter: PushMetricExporter, name?: string): PushMetricExporter;
  sampler: AdaptiveSampler | undefined;
  breakers: CircuitBreakerExporter[];
}

type Raw = Record<string, unknown>;

const SAMPLER_KEYS: Record<string, keyof AdaptiveSamplerOptions | 'backpressure.eventLoopDelayMillis' | 'backpressure.maxLevel' | 'backpressure.releaseTicks'> =
  {
    budget: 'budget',
    total_budget: 'totalBudget',
    interval: 'intervalMillis',
    burst_factor: 'burstFactor',
    event_loop_delay_threshold: 'backpressure.eventLoopDelayMillis',
    max_backpressure_level: 'backpressure.maxLevel',
    backpressure_release_ticks: 'backpressure.releaseTicks',
  };

const BREAKER_KEYS: Record<string, string> = {
  failure_threshold: 'failureThreshold',
  export_timeout: 'exportTimeoutMillis',
  backoff_initial: 'backoff.initialMillis',
  backoff_max: 'backoff.maxMillis',
  backoff_multiplier: 'backoff.multiplier',
  backoff_jitter: 'backoff.jitter',
  max_pending_bytes: 'maxPendingBytes',
  pressure_fraction: 'pressureFraction',
  force_flush_timeout: 'forceFlushTimeoutMillis',
  shutdown_timeout: 'shutdownTimeoutMillis',
  max_new_series_per_second_while_open: 'maxNewSeriesPerSecondWhileOpen',
};

/** `{ a_b: 1, 'x.y': 2 }` by `keys` → `{ aB: 1, x: { y: 2 } }`; unknown keys and non-numbers are configuration errors. */
function translate(section: string, raw: Raw, keys: Record<string, string>): Raw {
  const out: Raw = {};
  for (const [key, value] of Object.entries(raw)) {
    if (key === 'enabled') continue;
    const target = keys[key];
    if (target === undefined) invalid(`fastmeter.processors.${section}.${key}`, key, `one of ${Object.keys(keys).join(', ')}`);
    if (typeof value !== 'number') invalid(`fastmeter.processors.${section}.${key}`, value, 'a number');
    const [head, tail] = target.split('.');
    if (tail === undefined) out[head] = value;
    else out[head] = { ...((out[head] as Raw | undefined) ?? {}), [tail]: value };
  }
  return out;
}

function section(raw: Raw, key: string): Raw | null {
  const value = raw[key];
  if (value === undefined || value === true || value === null) return {};
  if (value === false) return null;
  if (typeof value !== 'object' || Array.isArray(value)) invalid(`fastmeter.processors.${key}`, value, 'a mapping, true or false');
  return (value as Raw).enabled === false ? null : (value as Raw);
}

/**
 * `fastmeter.processors: { sampler: {...} | false, circuit_breaker: {...} | false }`: both on by
 * default. Throws a FastMeterConfigError (FM_INVALID_OPTION) naming the key for a bad value.
 */
export function nodeSetup(options: Raw = {}): ProcessorsExtension {
  for (const key of Object.keys(options)) {
    if (key !== 'sampler' && key !== 'circuit_breaker') invalid(`fastmeter.processors.${key}`, key, 'sampler or circuit_breaker');
  }
  const samplerRaw = section(options, 'sampler');
  const breakerRaw = section(options, 'circuit_breaker');
  const sampler = samplerRaw === null ? undefined : new AdaptiveSampler(translate('sampler', samplerRaw, SAMPLER_KEYS) as AdaptiveSamplerOptions);
  const breakerOptions = breakerRaw === null ? null : (translate('circuit_breaker', breakerRaw, BREAKER_KEYS) as CircuitBreakerOptions);
  const breakers: CircuitBreakerExporter[] = [];
  const extension: ProcessorsExtension = {
    processors: sampler === undefined ? [] : [sampler],
    sampler,
    breakers,
    wrapExporter(exporter, name) {
      if (breakerOptions === null) return exporter;
      const breaker = new CircuitBreakerExporter(exporter, { ...breakerOptions, name: name ?? breakerOptions.name });
      breakers.push(breaker);
      // Attached like a processor: self-metrics, the series limit while open, pressure on the sampler.
      extension.processors.push(breaker);
      return breaker;
    },
  };
  return extension;
}
