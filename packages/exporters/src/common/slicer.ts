// Long work in slices: a serialiser asks `slicer.due()` every few items and,
// when the slice has used its budget, `await slicer.pause()` gives the event
// loop back (setImmediate: pending I/O callbacks run first) before the next
// slice. So a scrape of 100,000 series never holds the loop longer than about
// one budget (default 10 ms), while the data serialised stays the snapshot
// taken at the start (the copy in @fastmeter/sdk's StreamSnapshot).
//
//   |-- slice ≤ budget --| I/O, timers |-- slice --| I/O |-- slice --| ...
import { ErrorCode, FastMeterConfigError } from '@fastmeter/sdk';

export const DEFAULT_SLICE_BUDGET_MS = 10;

/** A slice aims at 30 % of the budget: the item in progress, a GC step or the OS scheduling another process may stretch it (on a loaded 2-core VM, by 5 ms and more). */
const SLICE_FRACTION = 0.3;

const now = () => performance.now();

/** CPU time of the process so far, ms (user + system; includes V8's helper threads). */
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

export class Slicer {
  private _sliceEnd: number;
  private _sliceStart: number;
  private _sliceCpu: number;
  /** Slices so far, and the longest one (ms, wall clock and CPU time): what tests and benchmarks check. */
  slices = 1;
  longestSliceMs = 0;
  /** The CPU time of the longest slice by CPU: on a shared machine, wall clock also counts time the OS gave others. */
  longestSliceCpuMs = 0;

  constructor(readonly budgetMs: number) {
    this._sliceStart = now();
    this._sliceCpu = cpu();
    this._sliceEnd = this._sliceStart + budgetMs * SLICE_FRACTION;
  }

  /** True when this slice has used its budget. */
  due(): boolean {
    return now() >= this._sliceEnd;
  }

  /** Ends the slice: lets the event loop run, then starts the next one. */
  async pause(): Promise<void> {
    this._endSlice();
    await new Promise<void>(resolve => setImmediate(resolve));
    this.slices++;
    this._sliceStart = now();
    this._sliceCpu = cpu();
    this._sliceEnd = this._sliceStart + this.budgetMs * SLICE_FRACTION;
  }

  /** Ends the slice if it is due (call between units of work). */
  async check(): Promise<void> {
    if (now() >= this._sliceEnd) await this.pause();
  }

  /** Records the last slice; call when the work is done. */
  finish(): void {
    this._endSlice();
  }

  private _endSlice(): void {
    const length = now() - this._sliceStart;
    if (length > this.longestSliceMs) this.longestSliceMs = length;
    const used = cpu() - this._sliceCpu;
    if (used > this.longestSliceCpuMs) this.longestSliceCpuMs = used;
  }
}

/** Validates the `sliceBudgetMillis` option (application-author input: fails fast). */
export function sliceBudget(value: unknown, option = 'sliceBudgetMillis'): number {
  if (value === undefined) return DEFAULT_SLICE_BUDGET_MS;
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
    throw new FastMeterConfigError(ErrorCode.INVALID_OPTION, `${option} must be a positive number of milliseconds, got ${String(value)}`);
  }
  return value;
}
