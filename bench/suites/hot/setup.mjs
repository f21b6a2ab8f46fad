// The three implementations side by side in one process, each with what it needs to record for
// real: fastmeter and sdk-metrics each get a registered reader (without one sdk-metrics creates
// no storage and measures ~45 ns of nothing), prom-client its own Registry.
import { fastmeter } from '../../lib/sdk.mjs';
import { AggregationType, MeterProvider } from '@opentelemetry/sdk-metrics';
import prom from 'prom-client';
import { BenchReader, deltaReader } from '../../lib/fixtures.mjs';
import { collectPoints } from '../../lib/verify.mjs';

// Exponential histograms through a view, the same ViewOptions object on both sides.
const views = [{ instrumentName: 'e3', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM } }];

function side(Provider, readers) {
  const provider = new Provider({ readers, views });
  let cached = null;
  return {
    provider,
    readers,
    meter: provider.getMeter('bench'),
    /** Collected once, after the timed rounds, and shared by every verification of this side. */
    points(i = 0) {
      cached ??= Promise.all(readers.map(collectPoints));
      return cached.then(all => all[i]);
    },
  };
}

export function createContext() {
  return {
    fm: side(fastmeter.FastMeterProvider, [new BenchReader()]),
    sdk: side(MeterProvider, [new BenchReader()]),
    // Two readers, as Prometheus (cumulative) + OTLP with delta temporality.
    fm2: side(fastmeter.FastMeterProvider, [new BenchReader(), deltaReader()]),
    sdk2: side(MeterProvider, [new BenchReader(), deltaReader()]),
    prom: { registry: new prom.Registry(), prom },
    /** `bind` is fastmeter's bound-handle extension; undefined when this build does not export it yet. */
    bind: typeof fastmeter.bind === 'function' ? fastmeter.bind : undefined,
  };
}
