// Text output in chunks: appended strings are UTF-8 encoded every ~64 KiB, so
// encoding a 10 MB exposition is spread over the serialisation's slices instead
// of one synchronous Buffer.from at the end.
const CHUNK_CHARS = 64 * 1024;

export class TextSink {
  private _text = '';
  private readonly _chunks: Buffer[] = [];
  private _bytes = 0;
  /** True once anything was written. */
  written = false;

  write(text: string): void {
    this._text += text;
    this.written = true;
    if (this._text.length >= CHUNK_CHARS) this._flush();
  }

  /** The encoded output, in order. */
  finish(): Buffer[] {
    if (this._text.length > 0) this._flush();
    return this._chunks;
  }

  get byteLength(): number {
    return this._bytes + Buffer.byteLength(this._text);
  }

  private _flush(): void {
    const chunk = Buffer.from(this._text, 'utf8');
    this._chunks.push(chunk);
    this._bytes += chunk.length;
    this._text = '';
  }
}
