// The record functions of worker instruments, one function literal per kind
// (monomorphic call sites, as in the core). Each writes only this thread's
// lane, so no write ever races with another writer:
//
// - sums (Counter, UpDownCounter): one Float64 word, `lane[off] += value`.
//   No atomic: the main side reads the word and subtracts what it read last.
// - histograms and gauges: a block with two copies. The writer announces the
//   write with Atomics.add on the block's ctl word (which also tells it the hot
//   copy), writes the lane journal, writes the copy, and completes with
//   Atomics.store on the copy's done counter. The main side flips the hot copy,
//   waits until the cold copy's done count reaches what was announced for it,
//   and then owns that copy: it reads a consistent snapshot and resets it.
//
//   block: word 0 [ctl = started << 1 | hot, -]  word 1 [done0, done1]
//          copy c at word 2 + c × copyWords:  histogram [count, sum, min, max, bucket 0 … n]
//                                              gauge     [count, value, sequence]
import type { Attributes } from '@opentelemetry/api';
import { C_BUCKETS, C_COUNT, C_MAX, C_MIN, C_SUM, GAUGE_COPY_WORDS, H_CLOCK, histogramCopyWords } from '../common/layout.js';
import { accept, bucketIndex } from '@fastmeter/sdk/internal';
import type { ValueCheck } from './check.js';
import type { LocalSeries } from './series.js';

export type RecordFunction = (value: number, attributes?: Attributes) => void;

/** This thread's lane; swapped for private arrays when the provider shuts down. */
export interface LaneRef {
  f: Float64Array;
  i: Int32Array;
}

export function sumRecord(series: LocalSeries, lane: LaneRef, check: ValueCheck): RecordFunction {
  const { monotonic, int } = check;
  return function add(value: number, attributes?: Attributes) {
    if (!accept(value, monotonic, int)) {
      value = check.slow(value);
      if (value !== value) return;
    }
    const off = series.get(attributes);
    if (off < 0) return;
    lane.f[off] += value;
  };
}

export function histogramRecord(series: LocalSeries, lane: LaneRef, check: ValueCheck, bounds: Float64Array): RecordFunction {
  const { monotonic, int } = check;
  const copyWords = histogramCopyWords(bounds.length);
  return function record(value: number, attributes?: Attributes) {
    if (!accept(value, monotonic, int)) {
      value = check.slow(value);
      if (value !== value) return;
    }
    const off = series.get(attributes);
    if (off < 0) return;
    const bucket = bucketIndex(bounds, value);
    const f = lane.f;
    const i = lane.i;
    const ctl = off * 2;
    const old = Atomics.add(i, ctl, 2); // announce: started + 1, and learn the hot copy
    const copy = old & 1;
    const base = off + 2 + copy * copyWords;
    const count = f[base + C_COUNT];
    const sum = f[base + C_SUM];
    // Journal (lane words 0-4): enough for the main side to complete this write if the thread dies in it.
    f[0] = value;
    f[1] = sum;
    f[2] = count;
    i[6] = copy;
    i[7] = old >>> 1;
    i[8] = ctl;
    f[base + C_BUCKETS + bucket] += 1;
    f[base + C_SUM] = sum + value;
    f[base + C_COUNT] = count + 1;
    if (count === 0) {
      f[base + C_MIN] = value;
      f[base + C_MAX] = value;
    } else {
      if (value < f[base + C_MIN]) f[base + C_MIN] = value;
      if (value > f[base + C_MAX]) f[base + C_MAX] = value;
    }
    const done = ctl + 2 + copy;
    Atomics.store(i, done, (i[done] + 1) | 0); // complete: publishes the copy's words
  };
}

export function gaugeRecord(series: LocalSeries, lane: LaneRef, check: ValueCheck, control: Int32Array): RecordFunction {
  const { monotonic, int } = check;
  return function record(value: number, attributes?: Attributes) {
    if (!accept(value, monotonic, int)) {
      value = check.slow(value);
      if (value !== value) return;
    }
    const off = series.get(attributes);
    if (off < 0) return;
    // Last-value rule: every write takes a sequence number from one shared counter; the highest wins.
    const sequence = (Atomics.add(control, H_CLOCK, 1) + 1) | 0;
    const f = lane.f;
    const i = lane.i;
    const ctl = off * 2;
    const old = Atomics.add(i, ctl, 2);
    const copy = old & 1;
    const base = off + 2 + copy * GAUGE_COPY_WORDS;
    const count = f[base + C_COUNT];
    f[0] = value;
    f[1] = sequence;
    f[2] = count;
    i[6] = copy;
    i[7] = old >>> 1;
    i[8] = ctl;
    f[base + 1] = value;
    f[base + 2] = sequence;
    f[base + C_COUNT] = count + 1;
    const done = ctl + 2 + copy;
    Atomics.store(i, done, (i[done] + 1) | 0);
  };
}
