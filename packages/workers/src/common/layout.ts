// The shared-memory layout: two SharedArrayBuffers, sized once by the main
// thread, read by every thread through the same offsets.
//
// control (Int32Array, then bytes)
// ┌────────────┬────────────┬──────────────────┬──────────────────────┬────────────────┬────────────────────┬─────────────┐
// │ header     │ lane table │ instrument slots │ instrument records   │ series slots   │ series records     │ byte arena  │
// │ 32 × i32   │ maxLanes   │ open addressing  │ maxInstruments × 16  │ open addressing│ (maxSeries +       │ keys, names │
// │            │            │                  │                      │                │  maxInstruments)×8 │             │
// └────────────┴────────────┴──────────────────┴──────────────────────┴────────────────┴────────────────────┴─────────────┘
//
// values (Float64Array; an Int32Array view over the same bytes)
// ┌─────────────────────── lane 0 ────────────────────────┬───────── lane 1 ─────────┬─ … ─┐
// │ journal (8 words) │ block │ block │ … (CELL_TOP grows) │ same offsets, own writer │     │
// └───────────────────┴───────┴───────┴────────────────────┴──────────────────────────┴─────┘
//
// A series owns one block at the same word offset in every lane; each lane has
// exactly one writing thread. See README.md for the block formats.

export const MAGIC = 0x464d5752; // "FMWR"
export const LAYOUT_VERSION = 2;

// Header fields (Int32 indices into control).
export const H_MAGIC = 0;
export const H_VERSION = 1;
export const H_MAX_LANES = 2;
export const H_LANE_WORDS = 3;
export const H_MAX_INSTRUMENTS = 4;
export const H_MAX_SERIES = 5;
export const H_ARENA_BYTES = 6;
export const H_CARDINALITY = 7;
export const H_INST_SLOTS = 8;
export const H_SERIES_SLOTS = 9;
/** Next instrument id (Atomics.add). */
export const H_NEXT_INST = 10;
/** Next series id (Atomics.add). */
export const H_NEXT_SERIES = 11;
/** Next free arena byte (Atomics.add). */
export const H_ARENA_TOP = 12;
/** Next free value word, the same in every lane (Atomics.add). */
export const H_CELL_TOP = 13;
/** Gauge sequence numbers (Atomics.add): the highest wins. */
export const H_CLOCK = 14;
/** 1 once the main side closed: workers keep recording, nobody reads. */
export const H_CLOSED = 15;
// Self-observability counters (Atomics.add), read by WorkerMetrics.stats().
export const H_NO_LANE = 16;
export const H_NO_INSTRUMENT = 17;
export const H_OVERFLOWED = 18;
export const H_BUSY = 19;
export const H_JOINS = 20;
export const H_PARTIAL = 21;
export const HEADER_INTS = 32;

// Lane table values.
export const LANE_FREE = 0;
// > 0: owned by thread (value - 1); < 0: released by thread (-value - 1), to be drained by the main side.

// Hash-table slot values: 0 empty, > 0 ready (id + 1), < 0 being written by lane (-value - 1), or TOMB.
export const SLOT_EMPTY = 0;
export const TOMB = -0x80000000;
/** Returned by a bounded wait that timed out (never stored in a slot). */
export const BUSY_SENTINEL = TOMB + 1;

// Instrument records (Int32 fields).
export const INST_STRIDE = 16;
export const I_STATE = 0; // 0 being written, 1 ready, 2 abandoned; < 0 being written by lane (-value - 1)
export const I_HASH = 1;
export const I_KEY = 2;
export const I_KEY_LEN = 3;
export const I_INFO_LEN = 4;
export const I_KIND = 5;
export const I_VALUE_TYPE = 6;
export const I_NBOUNDS = 7;
export const I_BLOCK = 8;
export const I_SERIES = 9;
export const I_OVERFLOW_SID = 10;
export const I_OVERFLOW_OFF = 11;
export const I_LIMIT = 12;

// Series records (Int32 fields).
export const SERIES_STRIDE = 8;
export const S_STATE = 0; // 1 ready, 2 abandoned; < 0 being written by lane (-value - 1)
export const S_HASH = 1;
export const S_INST = 2;
export const S_KEY = 3;
export const S_KEY_LEN = 4;
export const S_OFF = 5;
export const S_FLAGS = 6;
export const S_FLAG_OVERFLOW = 1;

export const STATE_READY = 1;
export const STATE_ABANDONED = 2;

// Instrument kinds (I_KIND).
export const KIND_COUNTER = 1;
export const KIND_UP_DOWN = 2;
export const KIND_HISTOGRAM = 3;
export const KIND_GAUGE = 4;

// Lane journal (Float64 words 0..7 of every lane; Int32 indices are twice the word).
// Written by the lane's thread before each histogram or gauge write, so the
// main side can complete the write of a thread that died in the middle of it.
export const J_VALUE = 0; // f64: the value
export const J_AUX = 1; // f64: histogram sum before the write / gauge sequence number
export const J_COUNT = 2; // f64: the copy's count before the write
export const J_COPY_I = 6; // i32: copy written
export const J_TICKET_I = 7; // i32: the write's ticket (started count before it)
export const J_KEY_I = 8; // i32: the block's control index (Int32 index of its word 0)
export const LANE_HEADER_WORDS = 8;

// Blocks with two copies (histograms, gauges): word 0 = [ctl, unused], word 1 = [done0, done1],
// then copy 0 and copy 1. ctl = started << 1 | hot copy.
export const BLOCK_COPIES = 2;
// Copy fields (Float64 offsets within a copy).
export const C_COUNT = 0;
export const C_SUM = 1; // gauges: the value
export const C_MIN = 2; // gauges: the sequence number
export const C_MAX = 3;
export const C_BUCKETS = 4;
export const GAUGE_COPY_WORDS = 3;
export const MASK31 = 0x7fffffff;

/** Words of one copy of a histogram with `nBounds` bounds. */
export function histogramCopyWords(nBounds: number): number {
  return C_BUCKETS + nBounds + 1;
}

// Sum blocks (Counter, UpDownCounter): word 0 the thread's running sum, word 1 non-zero once the
// thread used the series (written on its first lookup, off the record path). A series whose sum
// is 0 when read (add(0), add(1) then add(-1)) is exported as on the main thread, and only for
// the threads that used it.
export const SUM_VALUE = 0;
export const SUM_USED = 1;
export const SUM_BLOCK_WORDS = 2;

/** Words of one series block of an instrument kind. */
export function blockWords(kind: number, nBounds: number): number {
  switch (kind) {
    case KIND_HISTOGRAM:
      return BLOCK_COPIES + 2 * histogramCopyWords(nBounds);
    case KIND_GAUGE:
      return BLOCK_COPIES + 2 * GAUGE_COPY_WORDS;
    default:
      return SUM_BLOCK_WORDS;
  }
}

export interface LayoutConfig {
  readonly maxLanes: number;
  readonly laneWords: number;
  readonly maxInstruments: number;
  readonly maxSeries: number;
  readonly arenaBytes: number;
  readonly cardinalityLimit: number;
}

function pow2AtLeast(n: number): number {
  let p = 16;
  while (p < n) p *= 2;
  return p;
}

/** Offsets of every region, computed the same way by every thread from the header. */
export class Layout {
  readonly instSlotCount: number;
  readonly seriesSlotCount: number;
  /** Int32 indices into control. */
  readonly lanes: number;
  readonly instSlots: number;
  readonly instRecords: number;
  readonly seriesSlots: number;
  readonly seriesRecords: number;
  /** Byte offset of the arena in control. */
  readonly arenaOffset: number;
  readonly controlBytes: number;
  readonly valueBytes: number;
  /**
   * Value words and arena bytes that attribute sets may not take, kept for the
   * instruments and overflow series created later (so an instrument created
   * after the sets filled shared memory still has its overflow series).
   */
  readonly reservedWords: number;
  readonly reservedBytes: number;

  constructor(readonly config: LayoutConfig) {
    this.instSlotCount = pow2AtLeast(config.maxInstruments * 2);
    this.seriesSlotCount = pow2AtLeast(config.maxSeries * 2);
    this.lanes = HEADER_INTS;
    this.instSlots = this.lanes + config.maxLanes;
    this.instRecords = this.instSlots + this.instSlotCount;
    this.seriesSlots = this.instRecords + config.maxInstruments * INST_STRIDE;
    this.seriesRecords = this.seriesSlots + this.seriesSlotCount;
    // Series ids: attribute sets take 0 .. maxSeries - 1; instrument i's overflow series is maxSeries + i.
    const ints = this.seriesRecords + (config.maxSeries + config.maxInstruments) * SERIES_STRIDE;
    this.arenaOffset = Math.ceil((ints * 4) / 8) * 8;
    this.controlBytes = this.arenaOffset + config.arenaBytes;
    this.valueBytes = config.maxLanes * config.laneWords * 8;
    this.reservedWords = Math.min(Math.floor(config.laneWords / 8), config.maxInstruments * 48);
    this.reservedBytes = Math.min(Math.floor(config.arenaBytes / 8), config.maxInstruments * 64);
  }

  static fromHeader(control: Int32Array): Layout {
    return new Layout({
      maxLanes: control[H_MAX_LANES],
      laneWords: control[H_LANE_WORDS],
      maxInstruments: control[H_MAX_INSTRUMENTS],
      maxSeries: control[H_MAX_SERIES],
      arenaBytes: control[H_ARENA_BYTES],
      cardinalityLimit: control[H_CARDINALITY],
    });
  }

  writeHeader(control: Int32Array): void {
    const c = this.config;
    control[H_MAX_LANES] = c.maxLanes;
    control[H_LANE_WORDS] = c.laneWords;
    control[H_MAX_INSTRUMENTS] = c.maxInstruments;
    control[H_MAX_SERIES] = c.maxSeries;
    control[H_ARENA_BYTES] = c.arenaBytes;
    control[H_CARDINALITY] = c.cardinalityLimit;
    control[H_INST_SLOTS] = this.instSlotCount;
    control[H_SERIES_SLOTS] = this.seriesSlotCount;
    control[H_CELL_TOP] = LANE_HEADER_WORDS;
    control[H_VERSION] = LAYOUT_VERSION;
    Atomics.store(control, H_MAGIC, MAGIC);
  }
}
