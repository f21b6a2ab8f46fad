// Provider, reader and collection helpers are the SDK's own test helpers.
import type { Attributes } from '@opentelemetry/api';
import type { MetricReader } from '@opentelemetry/sdk-metrics';
import type { Histogram } from '@fastmeter/sdk';
import { points } from '../../sdk/test/helpers.js';

export { TestReader, deltaReader, points, setup } from '../../sdk/test/helpers.js';

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

/** Collects unhandled promise rejections between install() and uninstall(), which returns them. */
export function unhandledRejections(): { install(): void; uninstall(): unknown[] } {
  let seen: unknown[] = [];
  const listener = (reason: unknown) => seen.push(reason);
  return {
    install() {
      seen = [];
      process.on('unhandledRejection', listener);
    },
    uninstall() {
      process.off('unhandledRejection', listener);
      return seen;
    },
  };
}
