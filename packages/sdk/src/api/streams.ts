// Which streams an instrument feeds, decided once at creation:
//  - every matching view yields a stream shared by all readers (split only when
//    readers ask for different cardinality limits);
//  - with no matching view, readers choosing the same aggregation and limit
//    share one stream (sdk-metrics would aggregate once per reader).
// Duplicate registrations reuse compatible streams, as sdk-metrics does: for
// each reader, the first compatible stream of that name serving it, whatever
// aggregation it was created with (advice or another view).
// Candidates resolving to the same stream are recorded into once; sdk-metrics
// records twice into it (DIFFERENCES.md in test/conformance).
import { diag } from '@opentelemetry/api';
import { type AggregationChoice, type AggregationSpec, parseAggregationOption, resolveAggregation } from '../aggregate/aggregation.js';
import { AggregationTemporality, type InstrumentType } from '../common/enums.js';
import type { InstrumentDescriptor, InstrumentationScope } from '../common/types.js';
import { type ReaderBinding, MetricStream } from '../collect/stream.js';
import type { AttributeMapping } from '../view/attributes-processor.js';
import { describeConflict, isCompatible } from './descriptor.js';
import { SELF_METER_NAME } from './self-metrics.js';
import type { ProviderState, ReaderSlot } from './state.js';

export const DEFAULT_CARDINALITY_LIMIT = 2000;

interface Candidate {
  descriptor: InstrumentDescriptor;
  spec: AggregationSpec;
  bindings: ReaderBinding[];
  limit: number;
  mapping: AttributeMapping;
}

/** The streams of one meter, in sdk-metrics' collection order: view streams first, then reader defaults. */
export class StreamRegistry {
  readonly viewStreams = new Map<string, MetricStream[]>();
  readonly defaultStreams = new Map<string, MetricStream[]>();

  *all(): Iterable<MetricStream> {
    for (const list of this.viewStreams.values()) yield* list;
    for (const list of this.defaultStreams.values()) yield* list;
  }
}

export function buildStreams(
  state: ProviderState,
  registry: StreamRegistry,
  scope: InstrumentationScope,
  descriptor: InstrumentDescriptor,
  isAsync: boolean,
): MetricStream[] {
  if (state.readers.length === 0) return [];
  // fastmeter's own metrics get their series even while a circuit breaker has lowered the new-series rate limit.
  if (scope.name === SELF_METER_NAME) state = { ...state, exemptFromRateLimit: true };
  const views = state.views.filter(v => v.matches(descriptor, scope));
  const candidates: Candidate[] = [];
  if (views.length > 0) {
    for (const view of views) {
      const d: InstrumentDescriptor = {
        name: view.name ?? descriptor.name,
        description: view.description ?? descriptor.description,
        type: descriptor.type,
        unit: descriptor.unit,
        valueType: descriptor.valueType,
        advice: descriptor.advice,
      };
      const spec = resolveAggregation(view.aggregation, d);
      if (spec.kind === 'drop') {
        reserveName(registry.viewStreams, d.name);
        continue;
      }
      for (const group of groupReaders(
        state.readers,
        descriptor.type,
        r => view.cardinalityLimit ?? readerLimit(r, descriptor.type),
        () => spec,
      )) {
        candidates.push({ descriptor: d, spec, bindings: group.bindings, limit: group.limit, mapping: view.attributes });
      }
    }
    return resolve(state, registry.viewStreams, candidates, isAsync);
  }
  const specs = new Map<number, AggregationSpec>();
  for (const slot of state.readers) specs.set(slot.index, resolveAggregation(readerAggregation(slot, descriptor.type), descriptor));
  for (const group of groupReaders(
    state.readers,
    descriptor.type,
    r => readerLimit(r, descriptor.type),
    r => specs.get(r.index) as AggregationSpec,
  )) {
    if (group.spec.kind === 'drop') {
      reserveName(registry.defaultStreams, descriptor.name);
      continue;
    }
    candidates.push({ descriptor, spec: group.spec, bindings: group.bindings, limit: group.limit, mapping: { kind: 'none' } });
  }
  return resolve(state, registry.defaultStreams, candidates, isAsync);
}

/**
 * A dropped stream still takes its name's place in the collection order:
 * sdk-metrics registers a storage for it, so a later instrument of that name
 * is exported where the first registration of the name would have been.
 */
function reserveName(streams: Map<string, MetricStream[]>, name: string): void {
  if (!streams.has(name)) streams.set(name, []);
}

/** The distinct streams the candidates resolve to, in order. */
function resolve(state: ProviderState, streams: Map<string, MetricStream[]>, candidates: Candidate[], isAsync: boolean): MetricStream[] {
  const out: MetricStream[] = [];
  for (const c of candidates) {
    for (const stream of findOrCreate(state, streams, c, isAsync)) if (!out.includes(stream)) out.push(stream);
  }
  return out;
}

function groupReaders(
  readers: readonly ReaderSlot[],
  type: InstrumentType,
  limitOf: (r: ReaderSlot) => number,
  specOf: (r: ReaderSlot) => AggregationSpec,
): { spec: AggregationSpec; limit: number; bindings: ReaderBinding[] }[] {
  const groups = new Map<string, { spec: AggregationSpec; limit: number; bindings: ReaderBinding[] }>();
  for (const slot of readers) {
    const spec = specOf(slot);
    const limit = limitOf(slot);
    const key = `${spec.key}|${limit}`;
    let group = groups.get(key);
    if (group === undefined) groups.set(key, (group = { spec, limit, bindings: [] }));
    group.bindings.push({ readerIndex: slot.index, temporality: readerTemporality(slot, type) });
  }
  return Array.from(groups.values());
}

/**
 * The streams serving the candidate's readers: for each reader, the first
 * compatible stream of the same name that serves it; a new stream for the
 * readers no existing stream serves.
 */
function findOrCreate(state: ProviderState, streams: Map<string, MetricStream[]>, c: Candidate, isAsync: boolean): MetricStream[] {
  const existing = streams.get(c.descriptor.name);
  const found: MetricStream[] = [];
  let unserved = c.bindings;
  for (const stream of existing ?? []) {
    if (!isCompatible(stream.descriptor, c.descriptor)) {
      diag.warn(
        `A view or instrument with the name ${c.descriptor.name} has already been registered and is incompatible with another registered view: ${describeConflict(stream.descriptor, c.descriptor)}. Both streams are exported.`,
      );
      continue;
    }
    if (stream.descriptor.description !== c.descriptor.description) {
      if (c.descriptor.description.length > stream.descriptor.description.length) stream.updateDescription(c.descriptor.description);
      diag.warn(
        `A view or instrument with the name ${c.descriptor.name} has already been registered with a different description; the longer description is used.`,
      );
    }
    const rest = unserved.filter(b => !stream.servesReader(b.readerIndex));
    if (rest.length !== unserved.length) found.push(stream);
    unserved = rest;
  }
  if (unserved.length === 0) return found;
  const stream = new MetricStream(c.descriptor, c.spec, unserved, c.limit, isAsync, state, c.mapping, state.evictIdleCollections);
  if (existing === undefined) streams.set(c.descriptor.name, [stream]);
  else existing.push(stream);
  found.push(stream);
  return found;
}

function readerAggregation(slot: ReaderSlot, type: InstrumentType): AggregationChoice {
  try {
    return parseAggregationOption(slot.reader.selectAggregation(type));
  } catch (err) {
    diag.error(`fastmeter: reader #${slot.index} selectAggregation(${type}) failed (${(err as Error)?.message}); using the default aggregation`);
    return { type: 'default' };
  }
}

function readerTemporality(slot: ReaderSlot, type: InstrumentType): AggregationTemporality {
  try {
    const t = slot.reader.selectAggregationTemporality(type);
    if (t === AggregationTemporality.DELTA || t === AggregationTemporality.CUMULATIVE) return t;
    diag.error(`fastmeter: reader #${slot.index} selectAggregationTemporality(${type}) returned ${String(t)}; using CUMULATIVE`);
  } catch (err) {
    diag.error(`fastmeter: reader #${slot.index} selectAggregationTemporality(${type}) threw (${(err as Error)?.message}); using CUMULATIVE`);
  }
  return AggregationTemporality.CUMULATIVE;
}

function readerLimit(slot: ReaderSlot, type: InstrumentType): number {
  try {
    const limit = slot.reader.selectCardinalityLimit?.(type);
    if (typeof limit === 'number' && !Number.isNaN(limit)) return limit;
  } catch (err) {
    diag.error(`fastmeter: reader #${slot.index} selectCardinalityLimit(${type}) threw (${(err as Error)?.message}); using ${DEFAULT_CARDINALITY_LIMIT}`);
  }
  return DEFAULT_CARDINALITY_LIMIT;
}
