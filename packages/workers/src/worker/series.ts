// One instrument's series as seen from one worker: attributes -> value-word
// offset of the shared series, through the local trie; a miss interns the set
// in shared memory (registry.ts) and caches the answer.
import type { Attributes } from '@opentelemetry/api';
import { ByteWriter, seriesHash, writeAttributes } from '../common/encode.js';
import { AttributeTrie, type Warnings, describe, describeIssue, isOverflowSet, normalizeAttributes } from '@fastmeter/sdk/internal';
import { KIND_GAUGE, KIND_HISTOGRAM, SUM_USED } from '../common/layout.js';
import { BUSY, CLOSED, OVERFLOW, type Registry, type SharedInstrument } from '../shared/registry.js';
import type { LaneRef } from './record.js';

const scratch = new ByteWriter();
/** Limits are applied by the main provider when it binds the series, as for its own measurements. */
const NO_LIMITS = { valueLengthLimit: Number.POSITIVE_INFINITY, countLimit: Number.POSITIVE_INFINITY };

export class LocalSeries {
  readonly trie = new AttributeTrie();
  /** Paths stored in the trie (canonical and caller orders). */
  private _paths = 0;
  /** Offset of the empty attribute set, or -1 until first used. */
  emptyOff = -1;
  /** Measurements dropped here (invalid attributes, a stalled writer). */
  dropped = 0;
  /** Cached paths at most (overflowed sets are not cached past it). */
  private readonly _maxPaths: number;
  /** Sums mark the series used in this thread's lane on a miss (layout.ts, SUM_USED). */
  private readonly _markUsed: boolean;

  constructor(
    readonly shared: SharedInstrument,
    private readonly _registry: Registry,
    private readonly _name: string,
    private readonly _warnings: Warnings,
    private readonly _lane: LaneRef,
  ) {
    this._maxPaths = shared.limit * 4 + 64;
    this._markUsed = shared.kind !== KIND_HISTOGRAM && shared.kind !== KIND_GAUGE;
  }

  /** Offset for `attributes`; -1 drops the measurement (already counted and reported). */
  get(attributes: Attributes | undefined): number {
    if (attributes === undefined) {
      const off = this.emptyOff;
      return off >= 0 ? off : this.miss({});
    }
    if (typeof attributes !== 'object' || attributes === null) return this._drop(`attributes must be an object, got ${describe(attributes)}`);
    let off: number;
    try {
      off = this.trie.find(attributes);
    } catch (err) {
      return this._drop(`reading the attributes threw: ${describe((err as Error)?.message ?? err)}`);
    }
    return off >= 0 ? off : this.miss(attributes);
  }

  /** A set this thread has not cached: resolved through shared memory (and, for sums, marked used in this lane). */
  miss(attributes: object): number {
    const off = this._resolve(attributes);
    if (off >= 0 && this._markUsed) this._lane.f[off + SUM_USED] = 1;
    return off;
  }

  private _resolve(attributes: object): number {
    if (Array.isArray(attributes)) return this._drop('attributes must be an object, got an array');
    let norm: ReturnType<typeof normalizeAttributes>;
    try {
      norm = normalizeAttributes(attributes, NO_LIMITS);
    } catch (err) {
      return this._drop(`reading the attributes threw: ${describe((err as Error)?.message ?? err)}`);
    }
    if (norm.issues.length > 0) {
      const more = norm.issues.length > 1 ? ` (and ${norm.issues.length - 1} more)` : '';
      this._warnings.warn(
        `attr:${this._name}`,
        `fastmeter: "${this._name}" in a worker: ${describeIssue(norm.issues[0], norm.issueKeys[0], NO_LIMITS)}${more}`,
      );
    }
    const { keys, values, canonical } = norm;
    const canonicalKeys = canonical.map(i => keys[i]);
    const canonicalValues = canonical.map(i => values[i]);
    let off = this.trie.findPairs(canonicalKeys, canonicalValues);
    if (off < 0 && isOverflowSet(keys, values)) {
      // The caller's own { "otel.metric.overflow": true } is the instrument's one overflow series.
      off = this.shared.overflowOff;
      if (off < 0) return this._drop('no overflow series (shared memory full)');
      this._insert(canonicalKeys, canonicalValues, off);
    }
    if (off < 0) {
      const w = scratch.reset();
      writeAttributes(w, keys, values, canonical);
      const bytes = w.bytes();
      off = this._registry.series(this.shared, bytes, seriesHash(this.shared.id, bytes));
      if (off === CLOSED) {
        this.dropped++;
        return -1;
      }
      if (off === BUSY) {
        return this._drop('another thread held the attribute set being created for over 1 s (it may have been terminated while creating it)');
      }
      if (off === OVERFLOW) {
        off = this.shared.overflowOff;
        if (off < 0) return this._drop('no overflow series (shared memory full)');
        this._warnings.warn(
          `overflow:${this._name}`,
          `fastmeter: "${this._name}" reached its cardinality limit of ${this.shared.limit} (or the shared series capacity); new attribute sets are aggregated into { "otel.metric.overflow": true }`,
        );
        if (this._paths >= this._maxPaths) return off;
      }
      this._insert(canonicalKeys, canonicalValues, off);
    }
    if (norm.clean && this._paths < this._maxPaths) this._insert(norm.walkKeys, norm.walkValues, off);
    if (keys.length === 0) this.emptyOff = off;
    return off;
  }

  private _insert(keys: readonly string[], values: readonly unknown[], off: number): void {
    if (this.trie.insert(keys, values, off)) this._paths++;
  }

  private _drop(detail: string): number {
    this.dropped++;
    this._warnings.warn(`drop-attr:${this._name}`, `fastmeter: dropped a measurement on "${this._name}" in a worker: ${detail}`);
    return -1;
  }
}
