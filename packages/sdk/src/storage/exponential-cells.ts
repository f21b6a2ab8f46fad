import { ExponentialState } from '../aggregate/exponential.js';
import type { ExponentialHistogram } from '../common/types.js';
import type { Cells } from './cells.js';

/** Base-2 exponential histograms: one small state object per series (buckets are sparse and rescale). */
export class ExponentialCells implements Cells {
  states: (ExponentialState | undefined)[] = [];

  constructor(
    readonly maxSize: number,
    readonly recordMinMax: boolean,
    private readonly _omitSum: boolean,
  ) {}

  state(sid: number): ExponentialState {
    let state = this.states[sid];
    if (state === undefined) this.states[sid] = state = new ExponentialState(this.maxSize);
    return state;
  }

  grow(_n: number): void {}

  clear(sid: number): void {
    this.states[sid]?.clear();
  }

  mergeFrom(src: Cells, sid: number): boolean {
    const from = (src as ExponentialCells).states[sid];
    if (from !== undefined) this.state(sid).merge(from);
    return false;
  }

  value(sid: number): ExponentialHistogram {
    const s = this.state(sid);
    return {
      min: this.recordMinMax ? s.min : undefined,
      max: this.recordMinMax ? s.max : undefined,
      sum: this._omitSum ? undefined : s.sum,
      positive: { offset: s.positiveOffset(), bucketCounts: s.positiveCounts() },
      negative: { offset: s.negativeOffset(), bucketCounts: s.negativeCounts() },
      count: s.count,
      scale: s.exportedScale,
      zeroCount: s.zeroCount,
    };
  }
}
