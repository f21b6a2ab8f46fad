// Interprets a Program against one world (one SDK). Everything the program
// creates (attribute objects, processors, callbacks) is created afresh per run.
import type { AttributeValue, Attributes, BatchObservableResult, Meter, ObservableResult } from '@opentelemetry/api';
import { ValueType } from '@opentelemetry/api';
import {
  type AggregationOption,
  AggregationTemporality,
  AggregationType,
  type IAttributesProcessor,
  InstrumentType,
  type ViewOptions,
  createAllowListAttributesProcessor,
  createDenyListAttributesProcessor,
} from '@opentelemetry/sdk-metrics';
import type { ReaderConfig, World, WorldConfig } from '../harness.js';
import { type AnyInstrument, createInstrument, isAsync } from '../kinds.js';
import type { AttrSpec, ProcessorSpec, Program, ReaderSpec, TemporalitySpec, ViewSpec } from './program.js';

const DELTA = AggregationTemporality.DELTA;
const CUMULATIVE = AggregationTemporality.CUMULATIVE;

function temporalitySelector(spec: TemporalitySpec): (type: InstrumentType) => AggregationTemporality {
  switch (spec) {
    case 'cumulative':
      return () => CUMULATIVE;
    case 'delta':
      return () => DELTA;
    case 'otlp-delta':
      return t => (t === InstrumentType.UP_DOWN_COUNTER || t === InstrumentType.OBSERVABLE_UP_DOWN_COUNTER ? CUMULATIVE : DELTA);
    case 'low-memory':
      return t => (t === InstrumentType.COUNTER || t === InstrumentType.HISTOGRAM ? DELTA : CUMULATIVE);
    default:
      return t => (spec.perKind[t] === 'delta' ? DELTA : CUMULATIVE);
  }
}

function readerConfig(spec: ReaderSpec): ReaderConfig {
  const aggregation = spec.aggregation;
  const limit = spec.syncLimit;
  return {
    temporality: temporalitySelector(spec.temporality),
    aggregation: aggregation === null ? undefined : (t): AggregationOption => aggregation[t] ?? { type: AggregationType.DEFAULT },
    cardinality: limit === null ? undefined : t => (isAsync(t) ? 2000 : limit),
  };
}

/** Context-free custom processors (called per measurement by both SDKs). */
function customProcessor(variant: 'stringify-numbers' | 'add-key' | 'drop-arrays'): IAttributesProcessor {
  return {
    process(incoming: Attributes): Attributes {
      const out: Attributes = {};
      for (const key of Object.keys(incoming)) {
        const value = incoming[key];
        if (variant === 'stringify-numbers' && typeof value === 'number') out[key] = String(value);
        else if (variant === 'drop-arrays' && Array.isArray(value)) continue;
        else out[key] = value;
      }
      if (variant === 'add-key') out.processed = true;
      return out;
    },
  };
}

function processor(spec: ProcessorSpec): IAttributesProcessor {
  if (spec.kind === 'custom') return customProcessor(spec.variant);
  return spec.kind === 'allow' ? createAllowListAttributesProcessor(spec.keys) : createDenyListAttributesProcessor(spec.keys);
}

function viewOptions(spec: ViewSpec): ViewOptions {
  const { processors, limit, ...rest } = spec;
  const out: ViewOptions = { ...rest };
  if (processors !== undefined) out.attributesProcessors = processors.map(processor);
  if (limit !== undefined) out.aggregationCardinalityLimit = limit;
  return out;
}

export function worldConfig(program: Program): WorldConfig {
  return { readers: program.readers.map(readerConfig), views: program.views.length > 0 ? program.views.map(viewOptions) : undefined };
}

/** The `order`-th permutation of `items` (factorial number system; 0 is the identity). */
function permute<T>(items: readonly T[], order: number): T[] {
  const rest = Array.from(items);
  const out: T[] = [];
  for (let n = rest.length; n > 0; n--) {
    out.push(rest.splice(order % n, 1)[0]);
    order = Math.floor(order / n);
  }
  return out;
}

/** A fresh attributes object for `spec`, keys in the `order`-th permutation (arrays copied too). */
function materialise(spec: AttrSpec, order: number): Attributes {
  const out: Attributes = {};
  for (const [key, value] of permute(spec, order)) out[key] = Array.isArray(value) ? (Array.from(value as unknown[]) as AttributeValue) : value;
  return out;
}

/** Runs `program` against `w`. */
export async function execute(program: Program, w: World): Promise<void> {
  const meters: Meter[] = program.meters.map(m => w.meter(m.name, m.version, m.schemaUrl === undefined ? undefined : { schemaUrl: m.schemaUrl }));
  const instruments: (AnyInstrument | undefined)[] = [];
  const tables = new Map<number, [number, number][]>();
  const throwing = new Set<number>();
  const callbacks = new Map<number, (r: ObservableResult) => void>();
  const batchTables = new Map<number, [number, number, number][]>();
  const batchCallbacks = new Map<number, (r: BatchObservableResult) => void>();
  const reused = new Map<string, Attributes>();
  const attrs = (index: number) => materialise(program.attributes[index], 0);

  for (const step of program.steps) {
    switch (step.op) {
      case 'create': {
        const spec = program.instruments[step.inst];
        const options = {
          unit: spec.unit,
          description: spec.description,
          valueType: spec.int ? ValueType.INT : ValueType.DOUBLE,
          advice: spec.advice === undefined ? undefined : { explicitBucketBoundaries: spec.advice },
        };
        const inst = createInstrument(meters[spec.meter], spec.kind, spec.name, options, false);
        instruments[step.inst] = inst;
        if (inst.observable !== undefined) {
          const index = step.inst;
          const callback = (r: ObservableResult) => {
            for (const [value, a] of tables.get(index) ?? []) r.observe(value, attrs(a));
            if (throwing.has(index)) throw new Error(`callback of instrument ${index} failed`);
          };
          callbacks.set(index, callback);
          inst.observable.addCallback(callback);
        }
        break;
      }
      case 'record': {
        let a: Attributes;
        if (step.reuse) {
          const key = `${step.attrs}:${step.order}:${step.freeze}`;
          let cached = reused.get(key);
          if (cached === undefined) {
            cached = materialise(program.attributes[step.attrs], step.order);
            if (step.freeze) Object.freeze(cached);
            reused.set(key, cached);
          }
          a = cached;
        } else {
          a = materialise(program.attributes[step.attrs], step.order);
        }
        instruments[step.inst]?.record(step.value, a);
        break;
      }
      case 'table':
        tables.set(step.inst, step.entries);
        break;
      case 'callback': {
        const observable = instruments[step.inst]?.observable;
        const callback = callbacks.get(step.inst);
        if (observable === undefined || callback === undefined) break;
        if (step.on) observable.addCallback(callback);
        else observable.removeCallback(callback);
        break;
      }
      case 'throw':
        if (step.on) throwing.add(step.inst);
        else throwing.delete(step.inst);
        break;
      case 'batch-table':
        batchTables.set(step.batch, step.entries);
        break;
      case 'batch-callback': {
        const batch = program.batches[step.batch];
        const observables = batch.members.map(i => instruments[i]?.observable).filter(o => o !== undefined);
        let callback = batchCallbacks.get(step.batch);
        if (callback === undefined) {
          callback = (r: BatchObservableResult) => {
            for (const [i, value, a] of batchTables.get(step.batch) ?? []) {
              const o = instruments[i]?.observable;
              if (o !== undefined) r.observe(o, value, attrs(a));
            }
          };
          batchCallbacks.set(step.batch, callback);
        }
        if (step.on) meters[batch.meter].addBatchObservableCallback(callback, observables);
        else meters[batch.meter].removeBatchObservableCallback(callback, observables);
        break;
      }
      case 'advance':
        w.advance(step.ms);
        break;
      case 'collect':
        await w.collect(step.reader);
        break;
    }
  }
}
