// The differential harness: one scenario (a function of a "world") runs once
// against sdk-metrics' MeterProvider and once against FastMeterProvider, with
// the same options and the same kind of readers, on the same fake clock. Every
// `collect` of a run is normalised (see normalise.ts) and the two runs must
// export the same data.
//
//   scenario(world) ──► sdk-metrics run ──► [collection 0, 1, ...] ─┐
//                   └─► fastmeter run   ──► [collection 0, 1, ...] ─┴─► diff, collection by collection
//
// Only `Date` is faked (`vi.useFakeTimers({ toFake: ['Date'] })`): both SDKs
// read `Date.now()` (sdk-metrics per record, fastmeter when a series is first
// touched in an interval and at collection), and the clock moves only when the
// scenario advances it, so timestamps compare exactly. Other timers stay real:
// observable-callback timeouts use `setTimeout`.
import type { Meter, MeterOptions, MeterProvider } from '@opentelemetry/api';
import { type Resource, resourceFromAttributes } from '@opentelemetry/resources';
import {
  AggregationTemporality,
  type AggregationOption,
  type CollectionResult,
  type InstrumentType,
  MeterProvider as SdkMeterProvider,
  MetricReader,
  type ViewOptions,
} from '@opentelemetry/sdk-metrics';
import { FastMeterProvider } from '@fastmeter/sdk';
import { vi } from 'vitest';
import { describeDifferences, normaliseCollection, type NormalisedCollection } from './normalise.js';

export type Impl = 'sdk-metrics' | 'fastmeter';
export const IMPLS: readonly Impl[] = ['sdk-metrics', 'fastmeter'];

/** 2023-11-14T22:13:20.123Z: a fractional millisecond part exercises the HrTime conversion. */
export const T0 = 1_700_000_000_123;

export type TemporalityChoice = 'cumulative' | 'delta' | ((type: InstrumentType) => AggregationTemporality);

export interface ReaderConfig {
  temporality?: TemporalityChoice;
  aggregation?: (type: InstrumentType) => AggregationOption;
  cardinality?: (type: InstrumentType) => number;
}

export interface WorldConfig {
  views?: ViewOptions[];
  /** One reader per entry; default: one cumulative reader with default aggregations. */
  readers?: ReaderConfig[];
  resource?: Resource;
  /** Options only FastMeterProvider has (e.g. `internBudget`), for tests of intended differences. */
  fastOptions?: Record<string, unknown>;
  /** sdk-metrics' MeterProviderOptions.sdkMetricsEnabled, passed to both. */
  sdkMetricsEnabled?: boolean;
}

/** A plain MetricReader from sdk-metrics: the readers under test are the real thing. */
export class TestReader extends MetricReader {
  forceFlushes = 0;
  shutdowns = 0;
  protected override async onShutdown(): Promise<void> {
    this.shutdowns++;
  }
  protected override async onForceFlush(): Promise<void> {
    this.forceFlushes++;
  }
}

export function temporalitySelector(choice: TemporalityChoice | undefined): ((type: InstrumentType) => AggregationTemporality) | undefined {
  if (choice === undefined) return undefined;
  if (choice === 'cumulative') return () => AggregationTemporality.CUMULATIVE;
  if (choice === 'delta') return () => AggregationTemporality.DELTA;
  return choice;
}

export function createReader(config: ReaderConfig = {}): TestReader {
  return new TestReader({
    aggregationTemporalitySelector: temporalitySelector(config.temporality),
    aggregationSelector: config.aggregation,
    cardinalitySelector: config.cardinality,
  });
}

export const RESOURCE = resourceFromAttributes({ 'service.name': 'conformance', 'service.version': '1.0.0' });

export interface ProviderLike extends MeterProvider {
  shutdown(options?: { timeoutMillis?: number }): Promise<void>;
  forceFlush(options?: { timeoutMillis?: number }): Promise<void>;
}

export class World {
  readonly provider: ProviderLike;
  readonly readers: TestReader[];
  /** Every collection of this run, normalised, in order. */
  readonly collections: { label: string; data: NormalisedCollection }[] = [];
  /** Free-form observations a scenario wants compared (e.g. what a call threw). */
  readonly notes: unknown[] = [];

  constructor(
    readonly impl: Impl,
    config: WorldConfig,
  ) {
    this.readers = (config.readers ?? [{}]).map(createReader);
    if (impl === 'fastmeter') for (const reader of this.readers) collectTap?.attach(reader);
    const options = {
      resource: config.resource ?? RESOURCE,
      views: config.views,
      readers: this.readers,
      ...(config.sdkMetricsEnabled === undefined ? {} : { sdkMetricsEnabled: config.sdkMetricsEnabled }),
    };
    this.provider =
      impl === 'sdk-metrics' ? new SdkMeterProvider(options) : (new FastMeterProvider({ ...config.fastOptions, ...options } as never) as ProviderLike);
  }

  meter(name: string, version?: string, options?: MeterOptions): Meter {
    return this.provider.getMeter(name, version, options);
  }

  /** Moves the fake clock forward. */
  advance(ms: number): void {
    vi.setSystemTime(Date.now() + ms);
  }

  /** Collects through reader `index` and keeps the normalised result for comparison. */
  async collect(index = 0, options?: { timeoutMillis?: number }): Promise<CollectionResult> {
    const reader = this.readers[index];
    const result = this.impl === 'fastmeter' && collectTap !== undefined ? await collectTap.collect(reader, options) : await reader.collect(options);
    this.collections.push({ label: `collect #${this.collections.length} (reader ${index})`, data: normaliseCollection(result) });
    return result;
  }

  /** Collects through every reader, in order. */
  async collectAll(): Promise<void> {
    for (let i = 0; i < this.readers.length; i++) await this.collect(i);
  }

  note(value: unknown): void {
    this.notes.push(value);
  }
}

export type Scenario = (world: World) => void | Promise<void>;

/**
 * Lets a cross-package suite read the fastmeter run's collections through
 * another path that must export the same data (test/fast-exporters: the read
 * seam of @fastmeter/exporters, checked against the standard serialisers at
 * every collection of every scenario). `attach` sees each reader before its
 * provider exists; `collect` replaces `reader.collect()` in World.collect.
 */
export interface CollectTap {
  attach(reader: TestReader): void;
  collect(reader: TestReader, options?: { timeoutMillis?: number }): Promise<CollectionResult>;
}

let collectTap: CollectTap | undefined;

export function setCollectTap(tap: CollectTap | undefined): void {
  collectTap = tap;
}

/** A world's configuration: the same for both runs, or built per implementation (e.g. to pass each SDK its own processors). */
export type ConfigSource = WorldConfig | ((impl: Impl) => WorldConfig);

/** Runs `scenario` on one implementation, from T0. */
export async function runOn(impl: Impl, config: ConfigSource, scenario: Scenario): Promise<World> {
  vi.setSystemTime(T0);
  const world = new World(impl, typeof config === 'function' ? config(impl) : config);
  await scenario(world);
  return world;
}

/** Runs both implementations; returns every difference found (empty when they agree). */
export async function differences(config: ConfigSource, scenario: Scenario): Promise<string[]> {
  const sdk = await runOn('sdk-metrics', config, scenario);
  const fast = await runOn('fastmeter', config, scenario);
  return compareWorlds(sdk, fast);
}

export function compareWorlds(sdk: World, fast: World): string[] {
  const out: string[] = [];
  if (sdk.collections.length !== fast.collections.length) {
    out.push(`number of collections: sdk-metrics ${sdk.collections.length}, fastmeter ${fast.collections.length}`);
  }
  const n = Math.min(sdk.collections.length, fast.collections.length);
  for (let i = 0; i < n; i++) {
    for (const d of describeDifferences(sdk.collections[i].data, fast.collections[i].data)) out.push(`${sdk.collections[i].label}: ${d}`);
  }
  for (const d of describeDifferences(sdk.notes, fast.notes, 'notes')) out.push(d);
  return out;
}

/**
 * Runs the scenario on both implementations and fails with a readable list of
 * differences. `context` is prepended (the random suite passes the seed).
 */
export async function expectConformance(config: ConfigSource, scenario: Scenario, context = ''): Promise<void> {
  const found = await differences(config, scenario);
  if (found.length > 0) {
    const shown = found.slice(0, 12).join('\n  ');
    const more = found.length > 12 ? `\n  ... and ${found.length - 12} more` : '';
    throw new Error(`${context}fastmeter differs from sdk-metrics:\n  ${shown}${more}`);
  }
}

/** The exported data of both runs, for tests that assert on a known, intended difference. */
export async function bothRuns(config: ConfigSource, scenario: Scenario): Promise<{ sdk: World; fast: World }> {
  const sdk = await runOn('sdk-metrics', config, scenario);
  const fast = await runOn('fastmeter', config, scenario);
  return { sdk, fast };
}

/** Installs the fake Date for a test file (call at top level). */
export function useFakeDate(hooks: { beforeAll: (fn: () => void) => void; afterAll: (fn: () => void) => void }): void {
  hooks.beforeAll(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(T0);
  });
  hooks.afterAll(() => {
    vi.useRealTimers();
  });
}
