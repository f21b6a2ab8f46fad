// One stream's series: attribute sets -> dense series ids, bounded by the
// stream's cardinality limit. Ids index the stream's typed arrays and are
// reused after a series is released, so the arrays never outgrow the limit.
import type { Attributes } from '@opentelemetry/api';
import { DropReason, type Health, describe } from '../common/health.js';
import { type AttributeLimits, copyAttributes, normalizeAttributes } from './normalize.js';
import { AttributeTrie } from './trie.js';

export const OVERFLOW_ATTRIBUTES: Attributes = Object.freeze({ 'otel.metric.overflow': true }) as Attributes;

/** Alias paths (caller orders other than the canonical one) kept per live series, at most. */
const MAX_ALIASES_PER_SERIES = 4;

export interface InternContext {
  readonly health: Health;
  readonly limits: AttributeLimits;
}

/** Told when a series id comes into use, so typed arrays can grow and reset the slot. */
export interface SeriesListener {
  onSeriesCreated(sid: number): void;
}

export class SeriesSpace {
  readonly trie = new AttributeTrie();
  /** The exported attributes of each live series (a copy, never the caller's object). */
  readonly attributes: (Attributes | undefined)[] = [];
  /** Series id for measurements without attributes, or -1 until first used. */
  emptySid = -1;
  /** Series id of `{ "otel.metric.overflow": true }`, or -1 until the limit is first hit. */
  overflowSid = -1;
  /** Live series counted against the limit (all but the overflow series). */
  live = 0;
  /** One past the highest id ever handed out: the length the typed arrays must have. */
  highWater = 0;
  private readonly _free: number[] = [];
  // Identity fast path for immutable attributes: one frozen, primitives-only
  // attributes object is remembered with its series, and passing that object
  // again skips the walk (a pointer compare). Which object is remembered is
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
      return sid >= 0 ? sid : this._emptyMiss();
    }
    if (attributes === this._frozen) return this._frozenSid;
    if (typeof attributes !== 'object' || attributes === null) return this._invalid(attributes);
    let sid: number;
    try {
      sid = this._keep === null ? this.trie.find(attributes) : this.trie.findFiltered(attributes, this._keep);
    } catch (err) {
      return this._threw(err);
    }
    if (sid < 0) return this.miss(attributes);
    if ((++this._tick & 63) === 0) this._sampleFrozen(attributes, sid);
    return sid;
  }

  private _sampleFrozen(attributes: object, sid: number): void {
    if (sid !== this.overflowSid && Object.isFrozen(attributes) && primitivesOnly(attributes)) {
      this._frozen = attributes;
      this._frozenSid = sid;
    }
  }

  /** The slow path: validate, normalise, find by canonical order, else create (or overflow). */
  miss(attributes: object): number {
    if (Array.isArray(attributes)) return this._invalid(attributes);
    let norm: ReturnType<typeof normalizeAttributes>;
    try {
      norm = normalizeAttributes(attributes, this._ctx.limits, this._keep);
    } catch (err) {
      return this._threw(err);
    }
    for (const issue of norm.issues) {
      this._ctx.health.dropAttribute(issue, this._name, `attribute ${issue.replace(/_/g, ' ')} (key or value removed)`);
    }
    const { keys, values, canonical } = norm;
    const health = this._ctx.health;
    let sid = this.trie.findPairs(keys, values, canonical);
    if (sid < 0) {
      if (this.live >= this.limit - 1) return this._overflow('limit');
      if (!health.admitSeries()) return this._overflow('admission');
      sid = this._allocate(copyAttributes(keys, values));
      this._insert(keys, values, sid, canonical);
      if (keys.length === 0) this.emptySid = sid;
    }
    if (norm.clean && this.trie.paths < (this.live + 1) * MAX_ALIASES_PER_SERIES && health.internPaths < health.internBudget) {
      this._insert(norm.walkKeys, norm.walkValues, sid);
    }
    return sid;
  }

  private _insert(keys: readonly string[], values: readonly unknown[], sid: number, order?: readonly number[]): void {
    if (this.trie.insert(keys, values, sid, order)) this._ctx.health.internPaths++;
  }

  /** Releases series (delta reclaim, eviction, explicit removal); their ids are reused. */
  release(dead: (sid: number) => boolean, sids: readonly number[], reason: 'reclaimed' | 'evicted' | 'removed' = 'reclaimed'): void {
    if (sids.length === 0) return;
    this._ctx.health.internPaths -= this.trie.removeSeries(dead);
    this._ctx.health.released(reason, sids.length);
    this._frozen = undefined;
    this._frozenSid = -1;
    for (const sid of sids) {
      if (sid === this.overflowSid) this.overflowSid = -1;
      else this.live--;
      if (sid === this.emptySid) this.emptySid = -1;
      this.attributes[sid] = undefined;
      this._free.push(sid);
    }
  }

  isLive(sid: number): boolean {
    return this.attributes[sid] !== undefined;
  }

  // Pins: series held by bound handles are never reclaimed or evicted.
  private _pins: Map<number, number> | null = null;

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

  private _emptyMiss(): number {
    const sid = this.trie.findPairs([], []);
    if (sid >= 0) return (this.emptySid = sid);
    if (this.live >= this.limit - 1) return this._overflow('limit');
    if (!this._ctx.health.admitSeries()) return this._overflow('admission');
    this.emptySid = this._allocate({});
    this._insert([], [], this.emptySid);
    return this.emptySid;
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
    if (this.overflowSid < 0) {
      this.overflowSid = this._allocate({ ...OVERFLOW_ATTRIBUTES }, true);
    }
    return this.overflowSid;
  }

  private _allocate(attributes: Attributes, overflow = false): number {
    const sid = this._free.length > 0 ? (this._free.pop() as number) : this.highWater++;
    this.attributes[sid] = attributes;
    if (!overflow) {
      this.live++;
      this._ctx.health.seriesCreated++;
    }
    this._listener.onSeriesCreated(sid);
    return sid;
  }

  private _invalid(attributes: unknown): number {
    this._ctx.health.drop(DropReason.INVALID_ATTRIBUTES, this._name, `attributes must be an object, got ${describe(attributes)}`);
    return -1;
  }

  /** A view's custom attributes processor threw: the measurement is dropped for this stream. */
  reportProcessorError(err: unknown): void {
    this._ctx.health.drop(DropReason.PROCESSOR_THREW, this._name, `the view's attributes processor threw: ${describe((err as Error)?.message ?? err)}`);
  }

  private _threw(err: unknown): number {
    this._ctx.health.drop(DropReason.ATTRIBUTES_THREW, this._name, `reading the attributes threw: ${describe((err as Error)?.message ?? err)}`);
    return -1;
  }
}

function primitivesOnly(attributes: object): boolean {
  for (const key in attributes) {
    const value = (attributes as Record<string, unknown>)[key];
    if (typeof value === 'object' && value !== null) return false;
  }
  return true;
}
