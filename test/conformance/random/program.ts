// A random call sequence is plain data (a Program), generated once from a seed
// and then interpreted against each SDK (run.ts). Keeping it data means a
// failing program can be printed and replayed from its seed.
import type { AttributeValue } from '@opentelemetry/api';
import type { AggregationOption, InstrumentType } from '@opentelemetry/sdk-metrics';

/** Attributes as ordered pairs: the key order is part of what is tested. */
export type AttrSpec = [string, AttributeValue][];

export type TemporalitySpec = 'cumulative' | 'delta' | 'otlp-delta' | 'low-memory' | { perKind: Partial<Record<InstrumentType, 'cumulative' | 'delta'>> };

export interface ReaderSpec {
  temporality: TemporalitySpec;
  /** Aggregation per instrument kind; missing kinds get DEFAULT. Null: the reader's default selector. */
  aggregation: Partial<Record<InstrumentType, AggregationOption>> | null;
  /** A cardinality limit for synchronous kinds (programs with one collection round and no views only). */
  syncLimit: number | null;
}

export type ProcessorSpec = { kind: 'allow' | 'deny'; keys: string[] } | { kind: 'custom'; variant: 'stringify-numbers' | 'add-key' | 'drop-arrays' };

export interface ViewSpec {
  instrumentName?: string;
  instrumentType?: InstrumentType;
  instrumentUnit?: string;
  meterName?: string;
  meterVersion?: string;
  meterSchemaUrl?: string;
  name?: string;
  description?: string;
  processors?: ProcessorSpec[];
  aggregation?: AggregationOption;
  limit?: number;
}

export interface MeterSpec {
  name: string;
  version?: string;
  schemaUrl?: string;
}

export interface InstrumentSpec {
  meter: number;
  kind: InstrumentType;
  name: string;
  unit?: string;
  description?: string;
  int: boolean;
  advice?: number[];
}

export interface BatchSpec {
  meter: number;
  /** Observable instruments (non-monotonic kinds) the batch callback is registered for. */
  members: number[];
}

export type Step =
  | { op: 'create'; inst: number }
  /**
   * `order`: which permutation of the set's keys the call uses (0: as generated).
   * `reuse`: the same object for every such call (per set and order), frozen if `freeze`.
   */
  | { op: 'record'; inst: number; value: number; attrs: number; order: number; reuse: boolean; freeze: boolean }
  | { op: 'table'; inst: number; entries: [number, number][] }
  | { op: 'batch-table'; batch: number; entries: [number, number, number][] }
  | { op: 'callback'; inst: number; on: boolean }
  | { op: 'batch-callback'; batch: number; on: boolean }
  | { op: 'throw'; inst: number; on: boolean }
  | { op: 'advance'; ms: number }
  | { op: 'collect'; reader: number };

export interface Program {
  seed: number;
  readers: ReaderSpec[];
  views: ViewSpec[];
  meters: MeterSpec[];
  instruments: InstrumentSpec[];
  batches: BatchSpec[];
  /** The attribute sets records and observations draw from. */
  attributes: AttrSpec[];
  steps: Step[];
}

/** A short description of a program for failure messages. */
export function summarise(program: Program): string {
  const kinds = program.instruments.map(i => `${i.kind}:${i.name}${i.int ? ':INT' : ''}`).join(', ');
  const ops = new Map<string, number>();
  for (const s of program.steps) ops.set(s.op, (ops.get(s.op) ?? 0) + 1);
  return [
    `readers: ${JSON.stringify(program.readers)}`,
    `views: ${JSON.stringify(program.views)}`,
    `meters: ${JSON.stringify(program.meters)}`,
    `instruments: ${kinds}`,
    `steps: ${JSON.stringify(Object.fromEntries(ops))}`,
  ].join('\n');
}
