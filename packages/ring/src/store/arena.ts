// Byte storage for chunks: 64 KiB pages carved into blocks of 8-byte
// granularity, with a free list per size class. Chunks of one lane are sealed
// and dropped in time order, and all lanes seal at about the same size, so the
// same classes are freed and reused; a request may take a free block up to two
// classes larger (at most 16 bytes of slack) before carving a new one.
//
// A block is named by a handle (page × 2^16 + byte offset) and its size class,
// which the owner keeps (the lanes store it beside the handle).

const PAGE_BITS = 16;
const PAGE_SIZE = 1 << PAGE_BITS;
const GRAIN = 8;
const SLACK_CLASSES = 2;

export class ChunkArena {
  static readonly PAGE_SIZE = PAGE_SIZE;
  static readonly GRAIN = GRAIN;

  readonly pages: Uint8Array[] = [];
  private readonly _free: number[][] = [];
  private _page = -1;
  private _top = PAGE_SIZE;
  /** Bytes in blocks handed out (rounded to the grain). */
  used = 0;
  /** Bytes of all pages. */
  private _bytes = 0;

  static classOf(size: number): number {
    return Math.ceil(size / GRAIN);
  }

  /** The size class of the block the last alloc() returned (pass it to free()). */
  lastClass = 0;

  alloc(size: number): number {
    const cls = ChunkArena.classOf(size);
    for (let c = cls; c <= cls + SLACK_CLASSES; c++) {
      const list = this._free[c];
      if (list !== undefined && list.length > 0) {
        this.lastClass = c;
        this.used += c * GRAIN;
        return list.pop() as number;
      }
    }
    const bytes = cls * GRAIN;
    if (bytes > PAGE_SIZE) {
      // A block larger than a page (a long chunk of incompressible values) gets a page of its own.
      this.pages.push(new Uint8Array(bytes));
      this._bytes += bytes;
      this.lastClass = cls;
      this.used += bytes;
      return (this.pages.length - 1) * PAGE_SIZE;
    }
    if (this._top + bytes > PAGE_SIZE) {
      // The page's tail goes to the free list of the class that fits in it.
      const rest = Math.floor((PAGE_SIZE - this._top) / GRAIN);
      if (this._page >= 0 && rest > 0) this._release(this._page * PAGE_SIZE + this._top, rest);
      this.pages.push(new Uint8Array(PAGE_SIZE));
      this._bytes += PAGE_SIZE;
      this._page = this.pages.length - 1;
      this._top = 0;
    }
    const handle = this._page * PAGE_SIZE + this._top;
    this._top += bytes;
    this.lastClass = cls;
    this.used += bytes;
    return handle;
  }

  free(handle: number, cls: number): void {
    this.used -= cls * GRAIN;
    this._release(handle, cls);
  }

  private _release(handle: number, cls: number): void {
    let list = this._free[cls];
    if (list === undefined) this._free[cls] = list = [];
    list.push(handle);
  }

  /** The page holding `handle`, and the byte offset inside it. */
  page(handle: number): Uint8Array {
    return this.pages[Math.floor(handle / PAGE_SIZE)];
  }

  offset(handle: number): number {
    return handle % PAGE_SIZE;
  }

  bytes(): number {
    return this._bytes;
  }
}
