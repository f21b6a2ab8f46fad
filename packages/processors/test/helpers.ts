import type { Attributes } from '@opentelemetry/api';
import { AggregationTemporality, MetricReader, type MetricReaderOptions } from '@opentelemetry/sdk-metrics';
import { FastMeterProvider, type FastMeterProviderOptions, type Histogram } from '@fastmeter/sdk';

/** A pull reader without a server. */
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

/** Collects once: `name -> [[attributes, value], ...]`, points sorted by attributes. */
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

/** The single point of `name`, asserted to exist. */
export async function single<T = Histogram>(reader: MetricReader, name: string): Promise<T> {
  const all = (await points(reader))[name];
  if (all === undefined || all.length !== 1) throw new Error(`expected one point of ${name}, got ${all?.length ?? 'none'}`);
  return all[0][1] as T;
}

/** The value of a self-metric point with the given attributes, asserted to exist. */
export async function selfMetric(reader: MetricReader, name: string, attributes: Attributes = {}): Promise<number> {
  const list = (await points(reader))[name];
  const key = JSON.stringify(Object.entries(attributes).sort());
  const hit = list?.find(([a]) => JSON.stringify(Object.entries(a).sort()) === key);
  if (hit === undefined) throw new Error(`no ${name} point with ${key}; have ${JSON.stringify(list?.map(([a]) => a))}`);
  return hit[1] as number;
}

/** mulberry32: a small seeded generator of uniform numbers in [0, 1). */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
