// Random programs: instruments of every kind and value type, attribute sets
// (reordered keys, numbers vs strings, booleans, arrays), views, readers and
// temporalities, interleaved records, observations, callback changes, clock
// advances and collections.
//
// The generator stays away from inputs where fastmeter differs on purpose
// (test/conformance/DIFFERENCES.md), each rule marked "(intended difference)":
// no NaN/Infinity, no invalid attribute values, no mutated attribute objects
// (1-3); cardinality limits only where both SDKs bound the same thing (7, 8);
// single-`*` name patterns (11); no two views giving one instrument the same
// stream, no stream named like a dropped view stream (12, 13); no histogram
// aggregation on observable instruments (14); ObservableCounter totals that
// never go negative and, with several readers or callbacks, never go down
// (15, 16); no set observed twice in a callback when a view may merge sets
// (17); readers of shared view streams that collect together (18).
// Exponential histograms may differ in scale (19): the comparison handles it.
import type { AttributeValue } from '@opentelemetry/api';
import { type AggregationOption, AggregationType, InstrumentType } from '@opentelemetry/sdk-metrics';
import { ALL_KINDS, isAsync, isMonotonicKind } from '../kinds.js';
import { Rng } from './prng.js';
import type { AttrSpec, BatchSpec, InstrumentSpec, MeterSpec, Program, ReaderSpec, Step, TemporalitySpec, ViewSpec } from './program.js';

const NAMES = ['http.requests', 'http.duration', 'db.calls', 'queue.depth', 'Queue.Depth', 'cpu.time', 'mem.used', 'jobs', 'latency'];
const UNITS = [undefined, 'ms', 's', '{request}'];
const DESCRIPTIONS = [undefined, 'd', 'a longer description'];
const ADVICE = [[1, 10, 100], [0.5], [100, 10, 1, Number.POSITIVE_INFINITY], []];
const METERS: MeterSpec[] = [
  { name: 'app', version: '1.0.0' },
  { name: 'app', version: '2.0.0' },
  { name: 'lib' },
  { name: 'lib', version: '1.0.0', schemaUrl: 'https://opentelemetry.io/schemas/1.21.0' },
  { name: 'app', version: '1.0.0', schemaUrl: 'https://opentelemetry.io/schemas/1.21.0' },
];
const KEY_VALUES: Record<string, AttributeValue[]> = {
  a: ['x', 'y', 'z', ''],
  b: [1, 2, '1', '2', 2.5],
  method: ['GET', 'POST'],
  status: [200, 404, '200', 500],
  ok: [true, false, 'true'],
  tags: [['p', 'q'], ['q', 'p'], [1, 2], [true], []],
  n: [0, 1.5, -1, 1e6],
};
const KEYS = Object.keys(KEY_VALUES);

function aggregations(rng: Rng, forAsync: boolean): AggregationOption {
  const simple: AggregationOption[] = [
    { type: AggregationType.DEFAULT },
    { type: AggregationType.SUM },
    { type: AggregationType.LAST_VALUE },
    { type: AggregationType.DROP },
  ];
  // (intended difference) a histogram aggregation on an observable instrument.
  if (forAsync || rng.chance(0.4)) return rng.pick(simple);
  switch (rng.int(3)) {
    case 0:
      return { type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM };
    case 1:
      return {
        type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM,
        options: { boundaries: rng.pick([[0, 1, 10, 100], [5], [], [-10, 0, 10]]), recordMinMax: rng.chance(0.5) },
      };
    default:
      return { type: AggregationType.EXPONENTIAL_HISTOGRAM, options: { maxSize: rng.range(2, 24), recordMinMax: rng.chance(0.7) } };
  }
}

function isHistogram(option: AggregationOption | undefined): boolean {
  return option?.type === AggregationType.EXPLICIT_BUCKET_HISTOGRAM || option?.type === AggregationType.EXPONENTIAL_HISTOGRAM;
}

function temporality(rng: Rng): TemporalitySpec {
  const simple: TemporalitySpec[] = ['cumulative', 'delta', 'otlp-delta', 'low-memory'];
  if (rng.chance(0.8)) return rng.pick(simple);
  const perKind: Partial<Record<InstrumentType, 'cumulative' | 'delta'>> = {};
  for (const kind of ALL_KINDS) perKind[kind] = rng.pick(['cumulative', 'delta'] as const);
  return { perKind };
}

/** The temporality a reader spec gives an instrument kind. */
function temporalitySelectorKind(t: TemporalitySpec, kind: InstrumentType): 'cumulative' | 'delta' {
  switch (t) {
    case 'cumulative':
    case 'delta':
      return t;
    case 'otlp-delta':
      return kind === InstrumentType.UP_DOWN_COUNTER || kind === InstrumentType.OBSERVABLE_UP_DOWN_COUNTER ? 'cumulative' : 'delta';
    case 'low-memory':
      return kind === InstrumentType.COUNTER || kind === InstrumentType.HISTOGRAM ? 'delta' : 'cumulative';
    default:
      return t.perKind[kind] ?? 'cumulative';
  }
}

function readerSpec(rng: Rng): ReaderSpec {
  let aggregation: ReaderSpec['aggregation'] = null;
  if (rng.chance(0.5)) {
    aggregation = {};
    for (const kind of ALL_KINDS) if (rng.chance(0.5)) aggregation[kind] = aggregations(rng, isAsync(kind));
  }
  return { temporality: temporality(rng), aggregation, syncLimit: null };
}

function instrumentSpec(rng: Rng, meters: number, previous: InstrumentSpec[]): InstrumentSpec {
  if (previous.length > 0 && rng.chance(0.2)) {
    // A duplicate registration: identical, or with a different description, advice or unit.
    const base = rng.pick(previous);
    const copy = { ...base };
    switch (rng.int(4)) {
      case 1:
        copy.description = rng.pick(DESCRIPTIONS);
        break;
      case 2:
        if (copy.kind === InstrumentType.HISTOGRAM) copy.advice = rng.chance(0.5) ? undefined : rng.pick(ADVICE);
        break;
      case 3:
        copy.unit = rng.pick(UNITS);
        break;
    }
    return copy;
  }
  const kind = rng.pick(ALL_KINDS);
  return {
    meter: rng.int(meters),
    kind,
    name: rng.pick(NAMES),
    unit: rng.pick(UNITS),
    description: rng.pick(DESCRIPTIONS),
    int: rng.chance(0.3),
    advice: kind === InstrumentType.HISTOGRAM && rng.chance(0.3) ? rng.pick(ADVICE) : undefined,
  };
}

function attrSpec(rng: Rng): AttrSpec {
  return rng.subset(KEYS, 4).map(key => [key, rng.pick(KEY_VALUES[key])]);
}

/** A name pattern with one `*` (sdk-metrics replaces only the first; intended difference). */
function wildcard(rng: Rng, name: string): string {
  if (rng.chance(0.2)) return '*';
  const i = rng.int(name.length);
  const j = i + rng.int(name.length - i + 1);
  return `${name.slice(0, i)}*${name.slice(j)}`;
}

function viewSpec(rng: Rng, program: { instruments: InstrumentSpec[]; meters: MeterSpec[] }, singleRound: boolean): ViewSpec {
  const v: ViewSpec = {};
  const inst = rng.pick(program.instruments);
  const meter = program.meters[inst.meter];
  if (rng.chance(0.7)) v.instrumentName = rng.chance(0.7) ? inst.name : wildcard(rng, inst.name);
  if (rng.chance(0.3)) v.instrumentType = rng.chance(0.7) ? inst.kind : rng.pick(ALL_KINDS);
  if (rng.chance(0.15)) v.instrumentUnit = rng.pick(UNITS) ?? '';
  if (rng.chance(0.2)) v.meterName = meter.name;
  if (rng.chance(0.1)) v.meterVersion = meter.version ?? '';
  if (rng.chance(0.1)) v.meterSchemaUrl = meter.schemaUrl ?? 'https://example.com/other';
  if (v.instrumentName === undefined && v.instrumentType === undefined && v.instrumentUnit === undefined && v.meterName === undefined) {
    v.instrumentName = inst.name;
  }
  if (v.instrumentName !== undefined && !v.instrumentName.includes('*') && rng.chance(0.3)) {
    v.name = rng.pick(['renamed', 'renamed.other', ...NAMES]);
  }
  if (rng.chance(0.2)) v.description = rng.pick(['from a view', 'a view description that is longer']);
  if (rng.chance(0.4)) {
    v.processors = Array.from({ length: rng.range(1, 2) }, () =>
      rng.chance(0.8)
        ? { kind: rng.pick(['allow', 'deny'] as const), keys: rng.subset(KEYS, 4) }
        : { kind: 'custom' as const, variant: rng.pick(['stringify-numbers', 'add-key', 'drop-arrays'] as const) },
    );
  }
  if (rng.chance(0.5)) v.aggregation = aggregations(rng, false);
  if (rng.chance(0.3)) v.limit = singleRound ? rng.range(1, 5) : 50;
  return v;
}

/** sdk-metrics' view selection (ViewRegistry, PatternPredicate, ExactPredicate). */
export function viewMatches(v: ViewSpec, inst: InstrumentSpec, meter: MeterSpec): boolean {
  if (v.instrumentType !== undefined && v.instrumentType !== inst.kind) return false;
  if (v.instrumentName !== undefined && v.instrumentName !== '*') {
    const source = `^${v.instrumentName.replace(/[\^$\\.+?()[\]{}|]/g, '\\$&').replace('*', '.*')}$`;
    if (!new RegExp(source).test(inst.name)) return false;
  }
  if (v.instrumentUnit !== undefined && v.instrumentUnit !== (inst.unit ?? '')) return false;
  if (v.meterName !== undefined && v.meterName !== meter.name) return false;
  if (v.meterVersion !== undefined && v.meterVersion !== (meter.version ?? '')) return false;
  if (meter.schemaUrl !== undefined && v.meterSchemaUrl !== undefined && v.meterSchemaUrl !== meter.schemaUrl) return false;
  return true;
}

/** Drops or adjusts views so that the program avoids the intended differences. */
function constrainViews(views: ViewSpec[], instruments: InstrumentSpec[], meters: MeterSpec[], singleRound: boolean, sharedDelta: boolean): ViewSpec[] {
  const kept: ViewSpec[] = [];
  const dropNames = new Set<string>();
  const otherNames = new Set<string>();
  for (const v of views) {
    const matched = instruments.filter(i => viewMatches(v, i, meters[i.meter]));
    // (intended difference) a histogram aggregation on an observable instrument.
    if (isHistogram(v.aggregation) && matched.some(i => isAsync(i.kind))) v.aggregation = undefined;
    // (intended difference) limits: sdk-metrics bounds each interval of a sync stream; async overflow chains differ.
    if (v.limit !== undefined && v.limit < 50 && (!singleRound || matched.some(i => isAsync(i.kind)))) v.limit = undefined;
    // (intended difference) two views giving one instrument the same stream: sdk-metrics records twice into it.
    // (intended difference) delta start times leak between readers of a view stream (see `together`
    // below); observable callbacks run at every reader's collection, so their readers' intervals never align.
    if (sharedDelta && matched.some(i => isAsync(i.kind))) continue;
    const clash = matched.some(i => kept.some(k => viewMatches(k, i, meters[i.meter]) && (k.name ?? i.name) === (v.name ?? i.name)));
    // (intended difference) a view stream of the name of a dropped view stream: sdk-metrics records it
    // into the dropped storage when the descriptors are compatible; fastmeter keeps no dropped storage.
    const names = new Set(matched.map(i => `${i.meter}:${v.name ?? i.name}`));
    const isDrop = v.aggregation?.type === AggregationType.DROP;
    const dropClash = isDrop ? [...names].some(n => otherNames.has(n)) : [...names].some(n => dropNames.has(n));
    if (clash || dropClash) continue;
    kept.push(v);
    for (const n of names) (isDrop ? dropNames : otherNames).add(n);
  }
  return kept;
}

/** A value to record or observe: zeros, tiny to large magnitudes, INT values fractional now and then. */
function observedValue(rng: Rng, kind: InstrumentType, int: boolean): number {
  // Non-monotonic kinds use multiples of 1/8: their sums cancel, and exact sums keep the comparison exact.
  const magnitude = rng.pick([0, 0.001, 0.1, 1, 7, 100, 12345, 1e6]);
  let v = isMonotonicKind(kind) ? magnitude * (0.5 + rng.next()) : Math.round(magnitude * (0.5 + rng.next()) * 8) / 8;
  if (rng.chance(0.1)) v = 0;
  if (int && rng.chance(0.7)) v = Math.round(v);
  if (!isMonotonicKind(kind) && rng.chance(0.4)) v = -v;
  // Negative values on Counter and Histogram: dropped by both SDKs.
  if ((kind === InstrumentType.COUNTER || kind === InstrumentType.HISTOGRAM) && rng.chance(0.04)) v = -1 - v;
  return v;
}

class StepWriter {
  readonly steps: Step[] = [];
  /** Current observation table per observable instrument: [value, attribute index]. */
  readonly tables = new Map<number, [number, number][]>();

  constructor(
    private readonly _rng: Rng,
    private readonly _program: Omit<Program, 'steps'>,
    /** ObservableCounter totals may go down (a reset) only when one reader collects. */
    private readonly _resetsAllowed: boolean,
    /** Observing one attribute set twice in a callback (intended difference only together with a merging view). */
    private readonly _duplicatesAllowed: boolean,
  ) {}

  create(inst: number): void {
    this.steps.push({ op: 'create', inst });
    if (isAsync(this._program.instruments[inst].kind)) this.table(inst);
  }

  record(inst: number): void {
    const rng = this._rng;
    const spec = this._program.instruments[inst];
    const attrs = rng.int(this._program.attributes.length);
    for (let n = rng.range(1, 3); n > 0; n--) {
      const value = observedValue(rng, spec.kind, spec.int);
      const order = rng.chance(0.6) ? 0 : rng.int(24);
      const reuse = rng.chance(0.3);
      this.steps.push({ op: 'record', inst, value, attrs, order, reuse, freeze: reuse && rng.chance(0.5) });
    }
  }

  table(inst: number): void {
    const rng = this._rng;
    const spec = this._program.instruments[inst];
    const previous = this.tables.get(inst) ?? [];
    let entries: [number, number][];
    if (spec.kind === InstrumentType.OBSERVABLE_COUNTER && !this._resetsAllowed) {
      // (intended difference) totals only grow, and sets are never removed, so no series' total goes down.
      entries = previous.map(([v, a]) => [v + (rng.chance(0.5) ? 0 : Math.abs(observedValue(rng, spec.kind, spec.int))), a]);
      const attrs = this._attrIndex(entries);
      if (attrs >= 0 && (previous.length === 0 || rng.chance(0.3))) {
        const max = entries.reduce((m, [v]) => Math.max(m, v), 0);
        entries.push([max + Math.abs(observedValue(rng, spec.kind, spec.int)), attrs]);
      }
    } else {
      entries = [];
      for (let n = rng.range(0, 4); n > 0; n--) {
        const attrs = this._attrIndex(entries);
        if (attrs >= 0) entries.push([observedValue(rng, spec.kind, spec.int), attrs]);
      }
    }
    this.tables.set(inst, entries);
    this.steps.push({ op: 'table', inst, entries });
  }

  /** An attribute set for one more observation, or -1 when duplicates are not allowed and none is left. */
  private _attrIndex(taken: [number, number][]): number {
    const n = this._program.attributes.length;
    for (let tries = 0; tries < 4; tries++) {
      const a = this._rng.int(n);
      if (this._duplicatesAllowed || !taken.some(([, b]) => b === a)) return a;
    }
    return -1;
  }

  batchTable(batch: number): void {
    const rng = this._rng;
    const { members } = this._program.batches[batch];
    const entries: [number, number, number][] = [];
    for (let n = rng.range(0, 4); n > 0; n--) {
      const inst = rng.pick(members);
      const spec = this._program.instruments[inst];
      const attrs = rng.int(this._program.attributes.length);
      if (!this._duplicatesAllowed && entries.some(([i, , a]) => i === inst && a === attrs)) continue;
      entries.push([inst, observedValue(rng, spec.kind, spec.int), attrs]);
    }
    this.steps.push({ op: 'batch-table', batch, entries });
  }
}

export function generate(seed: number): Program {
  const rng = new Rng(seed);
  const meters = rng.shuffle(METERS).slice(0, rng.range(1, 3));
  const instruments: InstrumentSpec[] = [];
  for (let n = rng.range(1, 6); n > 0; n--) instruments.push(instrumentSpec(rng, meters.length, instruments));
  // Distinct sets (equal sets in another key order are the same series; records reorder keys themselves).
  // One program in five has many sets sharing keys and prefixes, to grow the interner's tries.
  const attributes: AttrSpec[] = [];
  for (let n = rng.chance(0.2) ? rng.range(20, 60) : rng.range(2, 9); n > 0; n--) {
    const spec = attrSpec(rng);
    const key = (a: AttrSpec) => JSON.stringify(Array.from(a).sort(([x], [y]) => (x < y ? -1 : 1)));
    if (!attributes.some(a => key(a) === key(spec))) attributes.push(spec);
  }
  const readers = Array.from({ length: rng.range(1, 3) }, () => readerSpec(rng));
  {
    // (intended difference) sdk-metrics loses a counter reset when a later observation of the same series
    // is merged into the same interval. Two ObservableCounters of one meter may share a stream (a
    // duplicate, or a view's rename) and their callbacks report different totals for one series, which
    // looks like a reset at every collection: keep one ObservableCounter per meter.
    const seen = new Set<number>();
    for (const spec of instruments) {
      if (spec.kind !== InstrumentType.OBSERVABLE_COUNTER) continue;
      if (seen.has(spec.meter)) spec.kind = InstrumentType.OBSERVABLE_UP_DOWN_COUNTER;
      seen.add(spec.meter);
    }
  }
  const singleRound = rng.chance(0.15);
  const rawViews = rng.chance(0.5) ? [] : Array.from({ length: rng.range(1, 3) }, () => viewSpec(rng, { instruments, meters }, singleRound));
  const hasDelta = (r: ReaderSpec) => ALL_KINDS.some(k => temporalitySelectorKind(r.temporality, k) === 'delta');
  const sharedDelta = readers.length > 1 && readers.some(hasDelta);
  const views = constrainViews(rawViews, instruments, meters, singleRound, sharedDelta);
  if (singleRound && views.length === 0) {
    // (intended difference) without views; with views fastmeter falls back to the readers' limit.
    for (const r of readers) if (rng.chance(0.4)) r.syncLimit = rng.range(1, 6);
  }
  const late = instruments.map(() => rng.chance(0.2));
  const batches: BatchSpec[] = [];
  meters.forEach((_, m) => {
    const candidates = instruments
      .map((spec, i) => ({ spec, i }))
      .filter(
        ({ spec, i }) =>
          spec.meter === m && !late[i] && (spec.kind === InstrumentType.OBSERVABLE_UP_DOWN_COUNTER || spec.kind === InstrumentType.OBSERVABLE_GAUGE),
      )
      .map(({ i }) => i);
    if (candidates.length > 0 && rng.chance(0.4)) batches.push({ meter: m, members: rng.shuffle(candidates).slice(0, rng.range(1, candidates.length)) });
  });
  const base = { seed, readers, views, meters, instruments, batches, attributes };
  const merging = views.some(v => v.processors !== undefined);
  const w = new StepWriter(rng, base, readers.length === 1, !merging);
  // (intended difference) with views, several readers and a delta one, sdk-metrics shares interval
  // accumulations between readers and one delta reader's start-time calibration leaks into the others:
  // every reader then collects in each round, at the same instant.
  const together = views.length > 0 && sharedDelta;

  instruments.forEach((_, i) => {
    if (!late[i]) w.create(i);
  });
  batches.forEach((_, b) => {
    w.batchTable(b);
    w.steps.push({ op: 'batch-callback', batch: b, on: true });
  });
  const created = new Set(instruments.map((_, i) => i).filter(i => !late[i]));
  const intervals = singleRound ? 1 : rng.range(1, 8);
  for (let interval = 0; interval < intervals; interval++) {
    for (let n = rng.range(0, 14); n > 0; n--) {
      const pending = instruments.map((_, i) => i).filter(i => !created.has(i));
      if (pending.length > 0 && rng.chance(0.15)) {
        const i = rng.pick(pending);
        created.add(i);
        w.create(i);
        continue;
      }
      if (batches.length > 0 && rng.chance(0.1)) {
        const b = rng.int(batches.length);
        if (rng.chance(0.7)) w.batchTable(b);
        else w.steps.push({ op: 'batch-callback', batch: b, on: rng.chance(0.6) });
        continue;
      }
      if (created.size === 0) continue;
      const inst = rng.pick(Array.from(created));
      if (!isAsync(instruments[inst].kind)) w.record(inst);
      else if (rng.chance(0.7)) w.table(inst);
      else if (rng.chance(0.5)) w.steps.push({ op: 'callback', inst, on: rng.chance(0.6) });
      else w.steps.push({ op: 'throw', inst, on: rng.chance(0.4) });
    }
    w.steps.push({ op: 'advance', ms: rng.pick([0, 1, 7, 250, 1000, 4999]) });
    const all = readers.map((_, r) => r);
    const collecting = singleRound || together ? rng.shuffle(all) : rng.subset(all);
    for (const reader of collecting) {
      w.steps.push({ op: 'collect', reader });
      if (!together && rng.chance(0.3)) w.steps.push({ op: 'advance', ms: rng.pick([0, 1, 3]) });
    }
  }
  if (!singleRound) {
    w.steps.push({ op: 'advance', ms: 10 });
    for (let reader = 0; reader < readers.length; reader++) w.steps.push({ op: 'collect', reader });
  }
  return { ...base, steps: w.steps };
}
