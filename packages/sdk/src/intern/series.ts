// One stream's series: attribute sets -> dense series ids, bounded by the
// stream's cardinality limit. Ids index the stream's typed arrays and are
// reused after a series is released, so the arrays never outgrow the limit.
// Per series, fastmeter keeps only its trie leaf and its cells: attributes
// objects are rebuilt from the trie at collect time (fresh copies, never the
// caller's object).
import type { Attributes } from '@opentelemetry/api';
import { DropReason, describe } from '../common/health.js';
import type { Health } from '../common/health.js';
import { type AttributeIssue, type AttributeLimits, type NormalizedAttributes, describeIssue, normalizeAttributes } from './normalize.js';
import { AttributeTrie, MAX_LEAF_ID, dirtyIndex, dirtyLeaf } from './trie.js';

export const OVERFLOW_KEY = 'otel.metric.overflow';
export const OVERFLOW_ATTRIBUTES: Attributes = Object.freeze({ [OVERFLOW_KEY]: true }) as Attributes;
const OVERFLOW_KEYS: readonly string[] = Object.freeze([OVERFLOW_KEY]);
const OVERFLOW_VALUES: readonly unknown[] = Object.freeze([true]);

/** True for the accepted set { "otel.metric.overflow": true }: the stream's overflow series, whoever passes it. */
export function isOverflowSet(keys: readonly string[], values: readonly unknown[]): boolean {
  return keys.length === 1 && keys[0] === OVERFLOW_KEY && values[0] === true;
}

/** Alias paths (caller key orders other than a key set's primary one) kept per live series, at most. */
const MAX_PATHS_PER_SERIES = 4;

export interface InternContext {
  readonly health: Health;
  readonly limits: AttributeLimits;
  /** Told of every series created in a stream serving their reader (collect/read-seam.ts). */
  readonly seriesObservers?: readonly SeriesObserverSlot[];
  /** fastmeter's own self-metrics (bounded by construction): never refused by the new-series rate limit. */
  readonly exemptFromRateLimit?: boolean;
}

/** A companion package's interest in new series of the streams one reader is bound to. */
export interface SeriesObserverSlot {
  readonly readerIndex: number;
  observe(stream: unknown, sid: number, keys: readonly string[], values: readonly unknown[]): void;
}

/**
 * Told when a series id comes into use, so typed arrays can grow and reset the
 * slot, with the series' attributes as they are exported (keys in order; never
 * mutated afterwards).
 */
export interface SeriesListener {
  onSeriesCreated(sid: number, keys: readonly string[], values: readonly unknown[]): void;
}

export class SeriesSpace {
  /** Series id for measurements without attributes, or -1 until first used. */
  emptySid = -1;
  /** Series id of `{ "otel.metric.overflow": true }`, or -1 until the limit is first hit. */
  overflowSid = -1;
  /** Live series counted against the limit (all but the overflow series). */
  live = 0;
  /** One past the highest id ever handed out: the length the typed arrays must have. */
  highWater = 0;
  /** Paths stored in the trie (primary and alias). */
  paths = 0;
  private readonly _trie = new AttributeTrie();
  /** Per key set (sorted keys), the key order its series' primary paths use. */
  private readonly _primary = new Map<string, readonly string[]>();
  /** 1 for ids in use by a series (the overflow series included). */
  private _liveIds = new Uint8Array(16);
  private readonly _free: number[] = [];
  /** Dirty aliases (walks that needed cleaning), by index: their series and what to count per measurement. */
  private readonly _dirty: (DirtyPath | undefined)[] = [];
  private readonly _dirtyFree: number[] = [];
  private _pins: Map<number, number> | null = null;
  // Identity fast path for immutable attributes: one frozen attributes object
  // whose own properties are all data properties holding primitives is
  // remembered with its series, and passing that object again skips the walk
  // (a pointer compare). Which object is remembered is
  // re-sampled on every 64th walk: `Object.isFrozen` costs ~8 ns (Node 20) and
  // storing each caller object would cost a write barrier, so the common
  // fresh-literal path pays only a counter increment. Mutable objects are always
  // walked, so code that mutates a shared labels object between calls stays correct.
  private _frozen: object | undefined = undefined;
  private _frozenSid = -1;
  private _tick = 0;

  constructor(
    /** Cardinality limit: at most `limit - 1` attribute sets plus the overflow series, as sdk-metrics. */
    readonly limit: number,
    private readonly _name: string,
    private readonly _ctx: InternContext,
    private readonly _listener: SeriesListener,
    /** A view's key filter (allow/deny list), applied while interning; null keeps every key. */
    private readonly _keep: ((key: string) => boolean) | null = null,
  ) {}

  /** Series id for `attributes`; -1 when the measurement must be dropped (already counted and reported). */
  get(attributes: Attributes | undefined): number {
    if (attributes === undefined) {
      const sid = this.emptySid;
      return sid >= 0 ? sid : this.miss({});
    }
    if (attributes === this._frozen) return this._frozenSid;
    if (typeof attributes !== 'object' || attributes === null) return this._invalid(attributes);
    let sid: number;
    try {
      sid = this._keep === null ? this._trie.find(attributes) : this._trie.findFiltered(attributes, this._keep);
    } catch (err) {
      return this._threw(err);
    }
    if (sid < 0) return this.miss(attributes, sid);
    if ((++this._tick & 63) === 0) this._sampleFrozen(attributes, sid);
    return sid;
  }

  /**
   * The slow path: validate, normalise, find through the key set's primary order, else create (or
   * overflow). `found` is what the trie walk returned: -1, or a dirty alias (a cached walk whose
   * set needed cleaning), kept out of `get` so that `get` stays small enough to be inlined.
   */
  miss(attributes: object, found = -1): number {
    if (found !== -1) return this._dirtyHit(found);
    if (Array.isArray(attributes)) return this._invalid(attributes);
    let norm: ReturnType<typeof normalizeAttributes>;
    try {
      norm = normalizeAttributes(attributes, this._ctx.limits, this._keep);
    } catch (err) {
      return this._threw(err);
    }
    const issues = norm.issues.length === 0 ? null : this._issues(norm);
    if (issues !== null) this._report(issues);
    const { keys, values } = norm;
    if (isOverflowSet(keys, values)) {
      if (this.overflowSid < 0) this.overflowSid = this._allocate(true, OVERFLOW_KEYS, OVERFLOW_VALUES);
      this._cacheWalk(norm, this.overflowSid, null, issues);
      return this.overflowSid;
    }
    const primary = this._primaryOrder(norm);
    const primaryValues = primary === keys ? values : reorder(primary, keys, values);
    let sid = this._trie.findPairs(primary, primaryValues);
    if (sid < 0) {
      if (this.live >= this.limit - 1 || this.highWater >= MAX_LEAF_ID) return this._overflow('limit');
      if (this._ctx.exemptFromRateLimit !== true && !this._ctx.health.admitSeries()) return this._overflow('admission');
      sid = this._allocate(false, primary, primaryValues);
      this._insert(primary, primaryValues, sid);
      if (keys.length === 0) this.emptySid = sid;
    }
    this._cacheWalk(norm, sid, primary, issues);
    return sid;
  }

  /** The key order of the set's primary path (the first caller's order of its accepted keys). */
  private _primaryOrder(norm: NormalizedAttributes): readonly string[] {
    const { keys, canonical } = norm;
    const setId = JSON.stringify(canonical.map(i => keys[i]));
    let primary = this._primary.get(setId);
    if (primary === undefined) this._primary.set(setId, (primary = keys.slice()));
    return primary;
  }

  /**
   * Caches the caller's walk, so that its next call takes the fast path: a
   * clean walk in another key order than the primary one as an alias; a walk
   * that needed cleaning (keys dropped, values truncated: a cost cliff
   * otherwise) as a dirty alias that still counts its issues per measurement.
   * Within MAX_PATHS_PER_SERIES and the provider's intern budget.
   */
  private _cacheWalk(norm: NormalizedAttributes, sid: number, primary: readonly string[] | null, issues: DirtyPath | null): void {
    const health = this._ctx.health;
    if (this.paths >= (this.live + 1) * MAX_PATHS_PER_SERIES || health.internPaths >= health.internBudget) return;
    if (norm.clean) {
      if (primary === null || !sameKeys(norm.walkKeys, primary)) this._insert(norm.walkKeys, norm.walkValues, ~sid);
      return;
    }
    if (issues === null || !norm.cacheable) return;
    const index = this._dirtyFree.length > 0 ? (this._dirtyFree.pop() as number) : this._dirty.length;
    if (index >= MAX_LEAF_ID - 1) return;
    issues.sid = sid;
    this._dirty[index] = issues;
    if (this._trie.insert(norm.walkKeys, norm.walkValues, dirtyLeaf(index))) {
      this.paths++;
      health.internPaths++;
    } else {
      this._dirty[index] = undefined;
      this._dirtyFree.push(index);
    }
  }

  /** A cached walk whose set needed cleaning: count (and warn about) its issues again, as its first call did. */
  private _dirtyHit(found: number): number {
    const dirty = this._dirty[dirtyIndex(found)] as DirtyPath;
    this._report(dirty);
    return dirty.sid;
  }

  private _issues(norm: NormalizedAttributes): DirtyPath {
    const limits = this._ctx.limits;
    const warnKeys: string[] = [];
    const messages: string[] = [];
    for (let i = 0; i < norm.issues.length; i++) {
      warnKeys.push(`attr:${norm.issues[i]}:${this._name}`);
      messages.push(`fastmeter: "${this._name}": ${describeIssue(norm.issues[i], norm.issueKeys[i], limits)}`);
    }
    return { sid: -1, reasons: norm.issues, warnKeys, messages };
  }

  private _report(dirty: DirtyPath): void {
    const health = this._ctx.health;
    for (let i = 0; i < dirty.reasons.length; i++) health.countAttribute(dirty.reasons[i], dirty.warnKeys[i], dirty.messages[i]);
  }

  /** The series of `attributes` if it exists; never creates one, counts nothing, never throws. */
  peek(attributes: Attributes | undefined): number {
    if (attributes === undefined) return this.emptySid;
    if (typeof attributes !== 'object' || attributes === null || Array.isArray(attributes)) return -1;
    try {
      const sid = this._keep === null ? this._trie.find(attributes) : this._trie.findFiltered(attributes, this._keep);
      if (sid >= 0) return sid;
      if (sid < -1) return (this._dirty[dirtyIndex(sid)] as DirtyPath).sid;
      const { keys, values, canonical } = normalizeAttributes(attributes, this._ctx.limits, this._keep);
      if (isOverflowSet(keys, values)) return this.overflowSid;
      const primary = this._primary.get(JSON.stringify(canonical.map(i => keys[i])));
      if (primary === undefined) return -1;
      return this._trie.findPairs(primary, reorder(primary, keys, values));
    } catch {
      return -1;
    }
  }

  private _insert(keys: readonly string[], values: readonly unknown[], leaf: number): void {
    if (this._trie.insert(keys, values, leaf)) {
      this.paths++;
      this._ctx.health.internPaths++;
    }
  }

  /** Attributes of every live series, indexed by id: fresh objects, keys in the key set's primary order. */
  materialize(): (Attributes | undefined)[] {
    const out = new Array<Attributes | undefined>(this.highWater);
    this._trie.forEach((sid, keys, values) => {
      const attributes: Attributes = {};
      for (let i = 0; i < keys.length; i++) attributes[keys[i]] = values[i] as Attributes[string];
      out[sid] = attributes;
    });
    if (this.overflowSid >= 0) out[this.overflowSid] = { ...OVERFLOW_ATTRIBUTES };
    return out;
  }

  isLive(sid: number): boolean {
    return this._liveIds[sid] === 1;
  }

  /** Releases series (delta reclaim, eviction, explicit removal); their ids are reused. */
  release(dead: (sid: number) => boolean, sids: readonly number[], reason: 'reclaimed' | 'evicted' | 'removed' = 'reclaimed'): void {
    if (sids.length === 0) return;
    const health = this._ctx.health;
    const removed = this._trie.remove(found => {
      if (found >= 0) return dead(found);
      const index = dirtyIndex(found);
      if (!dead((this._dirty[index] as DirtyPath).sid)) return false;
      this._dirty[index] = undefined;
      this._dirtyFree.push(index);
      return true;
    });
    this.paths -= removed;
    health.internPaths -= removed;
    health.released(reason, sids.length);
    this._frozen = undefined;
    this._frozenSid = -1;
    for (const sid of sids) {
      if (sid === this.overflowSid) this.overflowSid = -1;
      else this.live--;
      if (sid === this.emptySid) this.emptySid = -1;
      this._liveIds[sid] = 0;
      this._pins?.delete(sid);
      this._free.push(sid);
    }
  }

  // Pins: series held by bound handles are never reclaimed or evicted.
  pin(sid: number): void {
    this._pins ??= new Map();
    this._pins.set(sid, (this._pins.get(sid) ?? 0) + 1);
  }

  unpin(sid: number): void {
    const n = this._pins?.get(sid);
    if (n === undefined) return;
    if (n <= 1) this._pins?.delete(sid);
    else this._pins?.set(sid, n - 1);
  }

  isPinned(sid: number): boolean {
    return this._pins?.has(sid) === true;
  }

  /** A view's custom attributes processor threw: the measurement is dropped for this stream. */
  reportProcessorError(err: unknown): void {
    this._ctx.health.drop(DropReason.PROCESSOR_THREW, this._name, `the view's attributes processor threw: ${describe((err as Error)?.message ?? err)}`);
  }

  private _sampleFrozen(attributes: object, sid: number): void {
    if (sid !== this.overflowSid && Object.isFrozen(attributes) && primitiveDataOnly(attributes)) {
      this._frozen = attributes;
      this._frozenSid = sid;
    }
  }

  private _overflow(why: 'limit' | 'admission'): number {
    this._ctx.health.overflowed++;
    if (this.overflowSid < 0 || why === 'admission') {
      this._ctx.health.warn(
        `overflow:${why}:${this._name}`,
        why === 'limit'
          ? `fastmeter: "${this._name}" reached its cardinality limit of ${this.limit}; new attribute sets are aggregated into { "otel.metric.overflow": true }`
          : `fastmeter: "${this._name}": a new series was refused by the provider's new-series rate limit or intern budget; the measurement is aggregated into { "otel.metric.overflow": true }`,
      );
    }
    if (this.overflowSid < 0) this.overflowSid = this._allocate(true, OVERFLOW_KEYS, OVERFLOW_VALUES);
    return this.overflowSid;
  }

  private _allocate(overflow: boolean, keys: readonly string[], values: readonly unknown[]): number {
    const sid = this._free.length > 0 ? (this._free.pop() as number) : this.highWater++;
    if (sid >= this._liveIds.length) {
      const grown = new Uint8Array(Math.max(sid + 1, this._liveIds.length * 2));
      grown.set(this._liveIds);
      this._liveIds = grown;
    }
    this._liveIds[sid] = 1;
    if (!overflow) {
      this.live++;
      this._ctx.health.seriesCreated++;
    }
    this._listener.onSeriesCreated(sid, keys, values);
    return sid;
  }

  private _invalid(attributes: unknown): number {
    this._ctx.health.drop(DropReason.INVALID_ATTRIBUTES, this._name, `attributes must be an object, got ${describe(attributes)}`);
    return -1;
  }

  private _threw(err: unknown): number {
    this._ctx.health.drop(DropReason.ATTRIBUTES_THREW, this._name, `reading the attributes threw: ${describe((err as Error)?.message ?? err)}`);
    return -1;
  }
}

/** A cached walk whose set needed cleaning, and what each of its measurements counts. */
interface DirtyPath {
  sid: number;
  readonly reasons: readonly AttributeIssue[];
  readonly warnKeys: readonly string[];
  readonly messages: readonly string[];
}

/** `values` (in `keys` order) in `order`'s key order. O(n) through a map for large sets. */
function reorder(order: readonly string[], keys: readonly string[], values: readonly unknown[]): unknown[] {
  if (keys.length <= 16) return order.map(k => values[keys.indexOf(k)]);
  const at = new Map<string, number>();
  for (let i = 0; i < keys.length; i++) at.set(keys[i], i);
  return order.map(k => values[at.get(k) as number]);
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((k, i) => k === b[i]);
}

/**
 * True when every own enumerable property is a data property holding a
 * primitive: only then does a frozen object always spell the same set (a getter
 * may return another value each call; an array may be mutated). Inherited keys
 * are not part of the set, so the prototype does not matter.
 */
function primitiveDataOnly(attributes: object): boolean {
  for (const key in attributes) {
    if (!hasOwn.call(attributes, key)) continue;
    const desc = Object.getOwnPropertyDescriptor(attributes, key);
    if (desc === undefined || !('value' in desc)) return false; // an accessor
    if (typeof desc.value === 'object' && desc.value !== null) return false;
  }
  return true;
}

const hasOwn = Object.prototype.hasOwnProperty;
