// Lock-free interning of instruments and series in shared memory.
//
// Two open-addressing hash tables of Int32 slots (linear probing):
//
//   slot = 0            empty
//   slot = id + 1       ready: the record `id` is complete and will never change
//   slot = -(lane + 1)  claimed by the thread owning `lane`, which is writing the record
//   slot = TOMB         claimed by a thread that died; skipped forever
//
// A thread that misses claims the first empty slot of the key's probe path
// with Atomics.compareExchange, allocates the record (ids, value words, arena
// bytes: each a bounded compare-and-swap bump), writes it, then publishes with
// Atomics.store(slot, id + 1) and Atomics.notify. A thread that meets a claimed
// slot waits on it (Atomics.wait, bounded) and then compares keys: two threads
// creating the same key concurrently get the same id. A key is never stored
// past a claimed slot, so a lookup may stop at the first empty slot. The main
// side turns slots of dead threads into TOMBs (WorkerMetrics, on 'exit').
import {
  BUSY_SENTINEL,
  H_ARENA_BYTES,
  H_ARENA_TOP,
  H_BUSY,
  H_CELL_TOP,
  H_LANE_WORDS,
  H_MAX_INSTRUMENTS,
  H_MAX_SERIES,
  H_NEXT_INST,
  H_NEXT_SERIES,
  H_OVERFLOWED,
  I_BLOCK,
  I_HASH,
  I_INFO_LEN,
  I_KEY,
  I_KEY_LEN,
  I_KIND,
  I_LIMIT,
  I_NBOUNDS,
  I_OVERFLOW_OFF,
  I_OVERFLOW_SID,
  I_SERIES,
  I_STATE,
  I_VALUE_TYPE,
  INST_STRIDE,
  S_FLAG_OVERFLOW,
  S_FLAGS,
  S_HASH,
  S_INST,
  S_KEY,
  S_KEY_LEN,
  S_OFF,
  S_STATE,
  SERIES_STRIDE,
  SLOT_EMPTY,
  STATE_ABANDONED,
  STATE_READY,
  TOMB,
  blockWords,
} from '../common/layout.js';
import type { SharedMemory } from '../common/memory.js';
import { ByteWriter, type InstrumentIdentity, type InstrumentInfo, fnv1a, readInstrument, writeInstrumentInfo, writeInstrumentKey } from '../common/encode.js';

/** The set could not get its own series: record into the instrument's overflow series. */
export const OVERFLOW = -2;
/** A slot stayed claimed longer than the wait bound (its writer is stalled or died): drop this measurement, retry next time. */
export const BUSY = -3;
/** A table or an allocation is exhausted. */
export const FULL = -4;
/** This thread's provider shut down: nothing is created any more. */
export const CLOSED = -5;

/** How long a thread waits for another thread to finish writing a record before giving up on one measurement. */
const WAIT_LIMIT_MS = 1000;

/** One instrument as every thread sees it (fixed by the first thread that created it). */
export interface SharedInstrument {
  readonly id: number;
  readonly kind: number;
  readonly valueType: number;
  readonly boundaries: readonly number[];
  readonly block: number;
  readonly limit: number;
  /** Value-word offset of the overflow series, or -1 when even that could not be allocated. */
  readonly overflowOff: number;
}

export class Registry {
  private readonly _c: Int32Array;
  private readonly _writing: number;
  private readonly _w = new ByteWriter();
  private _closed = false;

  constructor(
    private readonly _mem: SharedMemory,
    lane: number,
    private readonly _overflowKey: Uint8Array,
  ) {
    this._c = _mem.control;
    this._writing = -(lane + 1);
  }

  /** After this, nothing is looked up or created (the lane, and so the writing mark, may go to another thread). */
  close(): void {
    this._closed = true;
  }

  /** The shared instrument with this identity, created with `info` if it does not exist yet; FULL when the table is full. */
  instrument(identity: InstrumentIdentity, info: InstrumentInfo, limit: number): SharedInstrument | number {
    if (this._closed) return CLOSED;
    const w = this._w.reset();
    writeInstrumentKey(w, identity);
    const keyLength = w.pos;
    const key = w.bytes().slice();
    const hash = fnv1a(key, 0, keyLength);
    const { layout } = this._mem;
    const id = this._intern(
      layout.instSlots,
      layout.instSlotCount,
      hash,
      id => this._instrumentMatches(id, hash, key),
      () => {
        writeInstrumentInfo(w, info);
        return this._createInstrument(hash, w.bytes(), keyLength, identity, info, limit);
      },
    );
    return id < 0 ? id : this.readInstrument(id);
  }

  readInstrument(id: number): SharedInstrument {
    const c = this._c;
    const rec = this._mem.layout.instRecords + id * INST_STRIDE;
    const key = c[rec + I_KEY];
    const bytes = this._mem.arena.slice(key, key + c[rec + I_KEY_LEN] + c[rec + I_INFO_LEN]);
    const { info } = readInstrument(bytes, c[rec + I_KEY_LEN]);
    return {
      id,
      kind: c[rec + I_KIND],
      valueType: c[rec + I_VALUE_TYPE],
      boundaries: info.boundaries,
      block: c[rec + I_BLOCK],
      limit: c[rec + I_LIMIT],
      overflowOff: c[rec + I_OVERFLOW_OFF],
    };
  }

  /** The value-word offset of the series `attributes` (canonical bytes) of `instrument`, or OVERFLOW / BUSY. */
  series(instrument: SharedInstrument, attributes: Uint8Array, hash: number): number {
    if (this._closed) return CLOSED;
    const { layout } = this._mem;
    const sid = this._intern(
      layout.seriesSlots,
      layout.seriesSlotCount,
      hash,
      sid => this._seriesMatches(sid, instrument.id, hash, attributes),
      () => this._createSeries(instrument, attributes, hash),
    );
    if (sid >= 0) return this._c[layout.seriesRecords + sid * SERIES_STRIDE + S_OFF];
    if (sid === BUSY) {
      Atomics.add(this._c, H_BUSY, 1);
      return BUSY;
    }
    Atomics.add(this._c, H_OVERFLOWED, 1);
    return OVERFLOW;
  }

  // ---- the lock-free table ----------------------------------------------------------

  private _intern(slots: number, slotCount: number, hash: number, matches: (id: number) => boolean, create: () => number): number {
    const c = this._c;
    const mask = slotCount - 1;
    let i = hash & mask;
    let probes = 0;
    while (probes < slotCount) {
      const at = slots + i;
      let v = Atomics.load(c, at);
      if (v < 0 && v !== TOMB) {
        v = this._await(at, v);
        if (v === BUSY_SENTINEL) return BUSY;
      }
      if (v === SLOT_EMPTY) {
        if (Atomics.compareExchange(c, at, SLOT_EMPTY, this._writing) !== SLOT_EMPTY) continue; // lost the race: look at this slot again
        let id = FULL;
        try {
          id = create();
        } finally {
          Atomics.store(c, at, id >= 0 ? id + 1 : SLOT_EMPTY);
          Atomics.notify(c, at);
        }
        return id;
      }
      if (v > 0 && matches(v - 1)) return v - 1;
      i = (i + 1) & mask;
      probes++;
    }
    return FULL;
  }

  /** Waits while another thread writes the slot's record; the slot's next value, or BUSY_SENTINEL after WAIT_LIMIT_MS. */
  private _await(at: number, v: number): number {
    const c = this._c;
    const deadline = Date.now() + WAIT_LIMIT_MS;
    while (v < 0 && v !== TOMB) {
      const left = deadline - Date.now();
      if (left <= 0) return BUSY_SENTINEL;
      Atomics.wait(c, at, v, Math.min(left, 20));
      v = Atomics.load(c, at);
    }
    return v;
  }

  /** Bump allocation that never passes `cap` (a failed attempt leaves the top unchanged). */
  private _bump(index: number, n: number, cap: number): number {
    const c = this._c;
    for (;;) {
      const top = Atomics.load(c, index);
      if (top + n > cap) return -1;
      if (Atomics.compareExchange(c, index, top, top + n) === top) return top;
    }
  }

  private _instrumentMatches(id: number, hash: number, key: Uint8Array): boolean {
    const c = this._c;
    const rec = this._mem.layout.instRecords + id * INST_STRIDE;
    return c[rec + I_HASH] === hash && c[rec + I_KEY_LEN] === key.length && this._sameBytes(c[rec + I_KEY], key);
  }

  private _seriesMatches(sid: number, instrument: number, hash: number, key: Uint8Array): boolean {
    const c = this._c;
    const rec = this._mem.layout.seriesRecords + sid * SERIES_STRIDE;
    return c[rec + S_HASH] === hash && c[rec + S_INST] === instrument && c[rec + S_KEY_LEN] === key.length && this._sameBytes(c[rec + S_KEY], key);
  }

  private _sameBytes(at: number, key: Uint8Array): boolean {
    const arena = this._mem.arena;
    for (let i = 0; i < key.length; i++) if (arena[at + i] !== key[i]) return false;
    return true;
  }

  private _createInstrument(hash: number, bytes: Uint8Array, keyLength: number, identity: InstrumentIdentity, info: InstrumentInfo, limit: number): number {
    const c = this._c;
    const id = this._bump(H_NEXT_INST, 1, c[H_MAX_INSTRUMENTS]);
    if (id < 0) return FULL;
    const rec = this._mem.layout.instRecords + id * INST_STRIDE;
    Atomics.store(c, rec + I_STATE, this._writing);
    const key = this._bump(H_ARENA_TOP, bytes.length, c[H_ARENA_BYTES]);
    const block = blockWords(identity.kind, info.boundaries.length);
    if (key < 0) {
      Atomics.store(c, rec + I_STATE, STATE_ABANDONED);
      return FULL;
    }
    this._mem.arena.set(bytes, key);
    c[rec + I_HASH] = hash;
    c[rec + I_KEY] = key;
    c[rec + I_KEY_LEN] = keyLength;
    c[rec + I_INFO_LEN] = bytes.length - keyLength;
    c[rec + I_KIND] = identity.kind;
    c[rec + I_VALUE_TYPE] = identity.valueType;
    c[rec + I_NBOUNDS] = info.boundaries.length;
    c[rec + I_BLOCK] = block;
    c[rec + I_LIMIT] = limit;
    c[rec + I_SERIES] = 0;
    // The overflow series exists from the start, with its own id and reserved space,
    // so sets that find shared memory full still land somewhere.
    const sid = c[H_MAX_SERIES] + id;
    const ok = this._writeSeries(sid, id, this._overflowKey, 0, block, S_FLAG_OVERFLOW, 0, 0);
    c[rec + I_OVERFLOW_SID] = ok ? sid : -1;
    c[rec + I_OVERFLOW_OFF] = ok ? c[this._mem.layout.seriesRecords + sid * SERIES_STRIDE + S_OFF] : -1;
    Atomics.store(c, rec + I_STATE, STATE_READY);
    return id;
  }

  private _createSeries(instrument: SharedInstrument, attributes: Uint8Array, hash: number): number {
    const c = this._c;
    const rec = this._mem.layout.instRecords + instrument.id * INST_STRIDE;
    // At most limit - 1 sets plus the overflow series, as in sdk-metrics.
    if (Atomics.add(c, rec + I_SERIES, 1) >= instrument.limit - 1) {
      Atomics.sub(c, rec + I_SERIES, 1);
      return OVERFLOW;
    }
    const sid = this._allocSeries(instrument.id, attributes, hash, instrument.block, 0);
    if (sid < 0) Atomics.sub(c, rec + I_SERIES, 1);
    return sid < 0 ? OVERFLOW : sid;
  }

  /** A complete, ready series record (not yet in the hash table), or FULL. Attribute sets leave the reserve to overflow series. */
  private _allocSeries(instrument: number, key: Uint8Array, hash: number, block: number, flags: number): number {
    const sid = this._bump(H_NEXT_SERIES, 1, this._c[H_MAX_SERIES]);
    if (sid < 0) return FULL;
    const { reservedWords, reservedBytes } = this._mem.layout;
    return this._writeSeries(sid, instrument, key, hash, block, flags, reservedWords, reservedBytes) ? sid : FULL;
  }

  private _writeSeries(
    sid: number,
    instrument: number,
    key: Uint8Array,
    hash: number,
    block: number,
    flags: number,
    keepWords: number,
    keepBytes: number,
  ): boolean {
    const c = this._c;
    const rec = this._mem.layout.seriesRecords + sid * SERIES_STRIDE;
    Atomics.store(c, rec + S_STATE, this._writing);
    const off = this._bump(H_CELL_TOP, block, c[H_LANE_WORDS] - keepWords);
    const at = off < 0 ? -1 : this._bump(H_ARENA_TOP, key.length, c[H_ARENA_BYTES] - keepBytes);
    if (at < 0) {
      Atomics.store(c, rec + S_STATE, STATE_ABANDONED);
      return false;
    }
    this._mem.arena.set(key, at);
    c[rec + S_HASH] = hash;
    c[rec + S_INST] = instrument;
    c[rec + S_KEY] = at;
    c[rec + S_KEY_LEN] = key.length;
    c[rec + S_OFF] = off;
    c[rec + S_FLAGS] = flags;
    Atomics.store(c, rec + S_STATE, STATE_READY);
    return true;
  }
}
