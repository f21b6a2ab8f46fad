import { AggregationTemporality, MetricReader, type MetricReaderOptions } from '@opentelemetry/sdk-metrics';
import type { Attributes } from '@opentelemetry/api';
import { FastMeterProvider, type FastMeterProviderOptions } from '@fastmeter/sdk';

/** A pull reader like PrometheusExporter's, without the HTTP server. */
export class TestReader extends MetricReader {
  constructor(options?: MetricReaderOptions) {
    super(options);
  }
  protected async onShutdown(): Promise<void> {}
  protected async onForceFlush(): Promise<void> {}
}

export const deltaReader = () => new TestReader({ aggregationTemporalitySelector: () => AggregationTemporality.DELTA });

export function setup(options: Omit<FastMeterProviderOptions, 'readers'> & { readers?: TestReader[] } = {}) {
  const readers = options.readers ?? [new TestReader()];
  const provider = new FastMeterProvider({ ...options, readers });
  return { provider, readers, reader: readers[0], meter: provider.getMeter('test') };
}

/** Collects once and returns `name -> [[attributes, value], ...]` sorted by attributes. */
export async function points(reader: MetricReader): Promise<Record<string, [Attributes, unknown][]>> {
  const { resourceMetrics, errors } = await reader.collect();
  if (errors.length > 0) throw new AggregateError(errors, 'collect errors');
  const out: Record<string, [Attributes, unknown][]> = {};
  for (const scope of resourceMetrics.scopeMetrics) {
    for (const metric of scope.metrics) {
      const list = (out[metric.descriptor.name] ??= []);
      for (const p of metric.dataPoints as { attributes: Attributes; value: unknown }[]) list.push([p.attributes, p.value]);
      list.sort((a, b) => JSON.stringify(a[0]).localeCompare(JSON.stringify(b[0])));
    }
  }
  return out;
}

/** Collects diag warnings and errors while `fn` runs (the global diag logger is restored after). */
export async function withWarnings<T>(fn: (messages: string[]) => T | Promise<T>): Promise<T> {
  const { diag, DiagLogLevel } = await import('@opentelemetry/api');
  const messages: string[] = [];
  const log = (message: string, ...args: unknown[]) => messages.push([message, ...args.map(String)].join(' '));
  diag.setLogger({ error: log, warn: log, info: () => {}, debug: () => {}, verbose: () => {} }, { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
  try {
    return await fn(messages);
  } finally {
    diag.disable();
  }
}

/** The provider's self-metric points (`selfMetrics: true`), `name -> [[attributes, value]]`. */
export async function selfMetrics(reader: MetricReader): Promise<Record<string, [Attributes, unknown][]>> {
  const all = await points(reader);
  return Object.fromEntries(Object.entries(all).filter(([name]) => name.startsWith('fastmeter.')));
}
