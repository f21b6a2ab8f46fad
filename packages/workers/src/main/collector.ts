// Reading the lanes (main thread, at every collection and when a thread leaves).
//
// Sums: each lane word only grows by its own thread's additions; the main side
// keeps a mirror of what it last read and feeds `add(current - mirror)`.
//
// Histograms and gauges: for each block that changed (started count moved),
// flip the hot copy with Atomics.xor, then wait until the now-cold copy's done
// count equals the number of writes announced for it
//
//     expected = started (returned by the flip) - done[other copy, read before the flip]
//
// (a write in flight finishes within nanoseconds; if its thread was descheduled,
// the copy is left pending and read at the next collection). The cold copy then
// belongs to the main side: it holds exactly the writes since that copy was last
// read, a consistent snapshot (count = sum of buckets, sum, min, max of the same
// writes); it is fed to `merge` / `record` and reset. The next flip publishes the
// reset to the writer (Atomics.xor and the writer's Atomics.add are both
// sequentially consistent on the ctl word).
import type { BoundCounter, BoundHistogram } from '@fastmeter/sdk';
import {
  C_BUCKETS,
  C_COUNT,
  C_MAX,
  C_MIN,
  C_SUM,
  H_CELL_TOP,
  H_NEXT_INST,
  H_NEXT_SERIES,
  H_PARTIAL,
  I_STATE,
  INST_STRIDE,
  J_AUX,
  J_COPY_I,
  J_COUNT,
  J_KEY_I,
  J_TICKET_I,
  J_VALUE,
  KIND_HISTOGRAM,
  MASK31,
  S_STATE,
  SERIES_STRIDE,
  STATE_ABANDONED,
  SUM_USED,
  TOMB,
} from '../common/layout.js';
import type { SharedMemory } from '../common/memory.js';
import type { Warnings } from '@fastmeter/sdk/internal';
import { bucketIndex } from '@fastmeter/sdk/internal';
import type { Catalog, MainSeries } from './catalog.js';

/** Loads of a done counter before a copy is left pending (about 20 µs). */
const SPIN_LIMIT = 4096;

interface MutableDelta {
  boundaries: readonly number[];
  counts: ArrayLike<number>;
  count: number;
  sum: number;
  min: number;
  max: number;
}

/**
 * Feeds what a lane's running sum moved since it was last read. A difference that is not finite
 * must not be dropped as a bad value: the values the thread added were finite, only sums overflow.
 * - both reads finite (an up-down counter swinging past ±MAX_VALUE): take the old read back out,
 *   then add the new one;
 * - the thread's sum overflowed to ±Infinity: so does the main side's, as when the main thread
 *   adds the same values itself (three steps of ±MAX_VALUE overflow any finite sum), and then,
 *   as there, it stops moving (the lane stays at ±Infinity, so later reads are unchanged).
 */
function feedSum(handle: BoundCounter, current: number, previous: number): void {
  const delta = current - previous;
  if (delta - delta === 0) {
    handle.add(delta);
  } else if (current - current === 0) {
    handle.add(-previous);
    handle.add(current);
  } else {
    const step = current > 0 ? Number.MAX_VALUE : -Number.MAX_VALUE;
    handle.add(step);
    handle.add(step);
    handle.add(step);
  }
}

export class Collector {
  /** Copies left pending because a write was still in flight (read at a later collection). */
  deferred = 0;
  /** Histogram measurements refused by the main side (its stream has other buckets, see _readCopy). */
  refused = 0;
  /** Lanes drained (threads that left). */
  drained = 0;
  private readonly _f: Float64Array;
  private readonly _vi: Int32Array;
  private readonly _mirrors: (Float64Array | undefined)[] = [];
  private readonly _mirrorsI32: (Int32Array | undefined)[] = [];
  private readonly _delta: MutableDelta = { boundaries: [], counts: [], count: 0, sum: 0, min: 0, max: 0 };

  constructor(
    private readonly _memory: SharedMemory,
    private readonly _catalog: Catalog,
    private readonly _threadAttribute: string | null,
    private readonly _warnings: Warnings,
  ) {
    this._f = _memory.values;
    this._vi = _memory.valuesI32;
  }

  /** Everything recorded since the last pull, into the main provider's instruments. */
  pull(): void {
    this._catalog.discover();
    const { control, layout } = this._memory;
    for (let lane = 0; lane < layout.config.maxLanes; lane++) {
      const state = Atomics.load(control, layout.lanes + lane);
      if (state > 0) this._pullLane(lane, state - 1);
      else if (state < 0) this.drain(lane); // released by its thread
    }
    this._settleGauges();
  }

  /**
   * Collects a lane whose thread left (released it, or exited), completes a
   * write the thread died in, then zeroes the lane and frees it for another
   * thread. The caller guarantees that the lane's thread writes no more.
   */
  drain(lane: number): void {
    const { control, layout } = this._memory;
    const state = Atomics.load(control, layout.lanes + lane);
    if (state === 0) return;
    const threadId = (state > 0 ? state : -state) - 1;
    this._catalog.discover();
    const base = this._memory.laneBase(lane);
    this._repair(base);
    this._pullSums(lane, threadId, base);
    for (const list of [this._catalog.histograms, this._catalog.gauges]) {
      for (const series of list) {
        this._readCopy(lane, threadId, series, 0, base);
        this._readCopy(lane, threadId, series, 1, base);
      }
    }
    this._settleGauges();
    this._catalog.releaseLane(lane);
    const top = Math.min(Atomics.load(control, H_CELL_TOP), layout.config.laneWords);
    this._f.fill(0, base, base + top);
    this._mirrors[lane]?.fill(0, 0, top);
    this._tombstone(lane);
    this.drained++;
    Atomics.store(control, layout.lanes + lane, 0);
  }

  private _mirror(lane: number): Float64Array {
    let mirror = this._mirrors[lane];
    if (mirror === undefined) {
      mirror = new Float64Array(this._memory.layout.config.laneWords);
      this._mirrors[lane] = mirror;
      this._mirrorsI32[lane] = new Int32Array(mirror.buffer);
    }
    return mirror;
  }

  private _pullLane(lane: number, threadId: number): void {
    const base = this._memory.laneBase(lane);
    this._pullSums(lane, threadId, base);
    const mi = this._mirrorsI32[lane] as Int32Array;
    for (const series of this._catalog.histograms) this._pullBlock(lane, threadId, series, base, mi);
    for (const series of this._catalog.gauges) this._pullBlock(lane, threadId, series, base, mi);
  }

  private _pullSums(lane: number, threadId: number, base: number): void {
    const f = this._f;
    const mirror = this._mirror(lane);
    const attr = this._threadAttribute;
    for (const series of this._catalog.sums) {
      const off = series.off;
      const current = f[base + off];
      const previous = mirror[off];
      if (current === previous) {
        // A series this thread used whose sum is still 0 (add(0); add(1), add(-1)) exists all the same, as on the main thread.
        if (current === 0 && f[base + off + SUM_USED] !== 0) this._catalog.handleFor(series, lane, attr, threadId);
        continue;
      }
      mirror[off] = current;
      feedSum(this._catalog.handleFor(series, lane, attr, threadId) as BoundCounter, current, previous);
    }
  }

  /** The flip protocol (see the top of this file). Mirror words of the block: [last started, pending copy + 1, expected done]. */
  private _pullBlock(lane: number, threadId: number, series: MainSeries, base: number, mi: Int32Array): void {
    const vi = this._vi;
    const ci = (base + series.off) * 2;
    const m = series.off * 2;
    const pending = mi[m + 1];
    if (pending !== 0) {
      if (!this._quiesced(ci + 2 + pending - 1, mi[m + 2])) return;
      mi[m + 1] = 0;
      this._readCopy(lane, threadId, series, pending - 1, base);
    }
    const ctl = Atomics.load(vi, ci);
    if (ctl >>> 1 === mi[m]) return; // no write since the last flip
    // The copy about to become hot is quiesced: its done count is final until the flip (read it before).
    const cold = ctl & 1;
    const otherDone = vi[ci + 2 + (1 - cold)];
    const started = Atomics.xor(vi, ci, 1) >>> 1;
    mi[m] = started;
    const expected = (started - otherDone) & MASK31;
    if (!this._quiesced(ci + 2 + cold, expected)) {
      this.deferred++;
      mi[m + 1] = cold + 1;
      mi[m + 2] = expected;
      return;
    }
    this._readCopy(lane, threadId, series, cold, base);
  }

  private _quiesced(doneIndex: number, expected: number): boolean {
    const vi = this._vi;
    for (let spin = 0; spin < SPIN_LIMIT; spin++) if ((Atomics.load(vi, doneIndex) & MASK31) === expected) return true;
    return false;
  }

  /** Feeds a copy the main side owns (cold and quiesced, or in a drained lane) and resets it. */
  private _readCopy(lane: number, threadId: number, series: MainSeries, copy: number, base: number): void {
    const f = this._f;
    const instrument = series.instrument;
    const at = base + series.off + 2 + copy * instrument.copyWords;
    const count = f[at + C_COUNT];
    if (count === 0) return;
    if (instrument.kind !== KIND_HISTOGRAM) {
      f[at + C_COUNT] = 0;
      this._offerGauge(series, lane, threadId, f[at + 1], f[at + 2]);
      return;
    }
    const scratch = instrument.scratch;
    for (let i = 0; i < scratch.length; i++) scratch[i] = f[at + C_BUCKETS + i];
    const delta = this._delta;
    delta.boundaries = instrument.boundaries;
    delta.counts = scratch;
    delta.count = count;
    delta.sum = f[at + C_SUM];
    delta.min = f[at + C_MIN];
    delta.max = f[at + C_MAX];
    f.fill(0, at, at + instrument.copyWords);
    const handle = this._catalog.handleFor(series, lane, this._threadAttribute, threadId) as BoundHistogram;
    if (!handle.merge(delta)) {
      // Bucket counts cannot be moved between different boundaries exactly: refused, counted, warned.
      this.refused += count;
      this._warnings.warn(
        `merge:${instrument.name}`,
        `fastmeter: ${count} measurement(s) of histogram "${instrument.name}" from worker threads refused: the main provider aggregates "${instrument.name}" with other buckets than the workers' boundaries [${instrument.boundaries.join(', ')}] (the main thread registered it first with other advice, or a view changed its aggregation), and bucket counts cannot be moved between boundaries exactly. Give the instrument the same advice in every thread; stats().refused counts the refused measurements`,
      );
    }
  }

  private _offerGauge(series: MainSeries, lane: number, threadId: number, value: number, seq: number): void {
    if (this._threadAttribute !== null) {
      const last = (series.laneLastSeq ??= new Float64Array(this._memory.layout.config.maxLanes).fill(Number.NaN));
      if (last[lane] === last[lane] && ((seq - last[lane]) | 0) <= 0) return;
      last[lane] = seq;
      (this._catalog.handleFor(series, lane, this._threadAttribute, threadId) as BoundHistogram).record(value);
      return;
    }
    // Sequence numbers wrap at 2^32: compare differences (serial-number arithmetic).
    if (!series.hasCand || ((seq - series.candSeq) | 0) > 0) {
      series.candSeq = seq;
      series.candValue = value;
      series.hasCand = true;
    }
  }

  /** Gauges without a per-thread attribute: the highest sequence number of all lanes wins, if newer than the last exported. */
  private _settleGauges(): void {
    if (this._threadAttribute !== null) return;
    for (const series of this._catalog.gauges) {
      if (!series.hasCand) continue;
      series.hasCand = false;
      if (series.hasLast && ((series.candSeq - series.lastSeq) | 0) <= 0) continue;
      series.lastSeq = series.candSeq;
      series.hasLast = true;
      (this._catalog.handleFor(series, 0, null, 0) as BoundHistogram).record(series.candValue);
    }
  }

  /**
   * A thread that died between announcing a write and completing it: the lane
   * journal names the block, the ticket and the values before the write; if it
   * matches, the write is completed ("counted whole"), otherwise the write had
   * not begun (the measurement is lost). Only one write per lane can be in flight.
   */
  private _repair(base: number): void {
    const f = this._f;
    const vi = this._vi;
    const jb = base * 2;
    for (const list of [this._catalog.histograms, this._catalog.gauges]) {
      for (const series of list) {
        const ci = (base + series.off) * 2;
        const started = vi[ci] >>> 1;
        if (((vi[ci + 2] + vi[ci + 3]) & MASK31) === started) continue;
        Atomics.add(this._memory.control, H_PARTIAL, 1);
        if (vi[jb + J_KEY_I] !== series.off * 2 || vi[jb + J_TICKET_I] !== ((started - 1) & MASK31)) return;
        const copy = vi[jb + J_COPY_I];
        const instrument = series.instrument;
        const at = base + series.off + 2 + copy * instrument.copyWords;
        const value = f[base + J_VALUE];
        const before = f[base + J_COUNT];
        if (instrument.kind === KIND_HISTOGRAM) {
          let buckets = 0;
          for (let i = 0; i <= instrument.bounds.length; i++) buckets += f[at + C_BUCKETS + i];
          if (buckets === before) f[at + C_BUCKETS + bucketIndex(instrument.bounds, value)] += 1;
          f[at + C_SUM] = f[base + J_AUX] + value;
          if (before === 0 || value < f[at + C_MIN]) f[at + C_MIN] = value;
          if (before === 0 || value > f[at + C_MAX]) f[at + C_MAX] = value;
        } else {
          f[at + 1] = value;
          f[at + 2] = f[base + J_AUX];
        }
        f[at + C_COUNT] = before + 1;
        vi[ci + 2 + copy] = (vi[ci + 2 + copy] + 1) | 0;
        return;
      }
    }
  }

  /** Registrations the lane's thread left unfinished: slots become TOMBs (waiters move on), records abandoned. */
  private _tombstone(lane: number): void {
    const { control: c, layout } = this._memory;
    const mark = -(lane + 1);
    for (const [start, count] of [
      [layout.instSlots, layout.instSlotCount],
      [layout.seriesSlots, layout.seriesSlotCount],
    ]) {
      for (let at = start; at < start + count; at++) {
        if (c[at] === mark && Atomics.compareExchange(c, at, mark, TOMB) === mark) Atomics.notify(c, at);
      }
    }
    const nInst = Math.min(Atomics.load(c, H_NEXT_INST), layout.config.maxInstruments);
    for (let id = 0; id < nInst; id++) Atomics.compareExchange(c, layout.instRecords + id * INST_STRIDE + I_STATE, mark, STATE_ABANDONED);
    const nSeries = Math.min(Atomics.load(c, H_NEXT_SERIES), layout.config.maxSeries);
    for (let sid = 0; sid < nSeries; sid++) Atomics.compareExchange(c, layout.seriesRecords + sid * SERIES_STRIDE + S_STATE, mark, STATE_ABANDONED);
    for (let id = 0; id < nInst; id++) {
      Atomics.compareExchange(c, layout.seriesRecords + (layout.config.maxSeries + id) * SERIES_STRIDE + S_STATE, mark, STATE_ABANDONED);
    }
  }
}
