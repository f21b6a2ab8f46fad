// What an exporter keeps per series: its attributes (told once by the sdk when
// the series is created) and, rendered lazily and cached until the series id
// is reused, the label text of each output format. A scrape then costs one
// string concatenation per point, not one render of every attribute.
//
//   onSeries(stream, sid, keys, values) ──► entries(stream)[sid] = new SeriesEntry(keys, values)
//   scrape: snapshot.sids[i] ──► entries[sid] (resolved synchronously with the snapshot, so an id
//           reused while the scrape is being serialised cannot change what it prints)
import type { Attributes } from '@opentelemetry/api';
import type { ReadSeam, SeamStream, StreamSnapshot } from '@fastmeter/sdk/internal';

export class SeriesEntry {
  /** Classic Prometheus label pairs (`k="v",...`, no braces), UTF-8. */
  prom: Uint8Array | undefined = undefined;
  /** OpenMetrics labels of this series' own attributes, with their (sanitised) names. */
  om: OmLabels | undefined = undefined;
  /** OTLP/JSON `"attributes":[...]` member, UTF-8. */
  json: Uint8Array | undefined = undefined;
  /** OTLP protobuf attributes field (tags included) and the field number it was encoded for. */
  pb: Uint8Array | undefined = undefined;
  pbField = 0;
  private _attributes: Attributes | undefined;

  constructor(
    readonly keys: readonly string[],
    readonly values: readonly unknown[],
    attributes?: Attributes,
  ) {
    this._attributes = attributes;
  }

  static of(attributes: Attributes): SeriesEntry {
    return new SeriesEntry(Object.keys(attributes), Object.values(attributes), attributes);
  }

  /**
   * The attributes object the sdk exports for this series: built the same way
   * (keys assigned in order), so it enumerates in the same order (integer-like
   * keys first, as every JavaScript object does).
   */
  attributes(): Attributes {
    if (this._attributes !== undefined) return this._attributes;
    const out: Attributes = {};
    for (let i = 0; i < this.keys.length; i++) out[this.keys[i]] = this.values[i] as Attributes[string];
    return out;
  }
}

export interface OmLabels {
  /** Rendered `name="value"` pairs joined by commas. */
  readonly text: string;
  /** `text`, UTF-8. */
  readonly bytes: Uint8Array;
  /** The pairs sorted and joined: equal keys, equal label sets. */
  readonly key: string;
  /** Sanitised label names in `text`, for collisions with scope, resource and `le` labels. */
  readonly names: readonly string[];
}

/** The series entries of the streams one reader is bound to. */
export class SeriesStore {
  private readonly _streams = new Map<SeamStream, (SeriesEntry | undefined)[]>();
  private readonly _stop: () => void;

  constructor(private readonly _seam: ReadSeam) {
    this._stop = _seam.onSeries((stream, sid, keys, values) => {
      this._entries(stream)[sid] = new SeriesEntry(keys, values);
    });
  }

  /**
   * The entry of every point of `snapshot`, in point order. Call right after
   * taking the snapshot, before anything else runs. A series created before
   * this store subscribed is read once from the sdk's attribute tables.
   */
  resolve(stream: SeamStream, snapshot: StreamSnapshot): SeriesEntry[] {
    const entries = this._entries(stream);
    const sids = snapshot.sids;
    const out = new Array<SeriesEntry>(snapshot.count);
    let missing = false;
    for (let i = 0; i < snapshot.count; i++) {
      const entry = entries[sids[i]];
      if (entry === undefined) missing = true;
      else out[i] = entry;
    }
    if (missing) {
      const attributes = this._seam.attributes(stream);
      for (let i = 0; i < snapshot.count; i++) {
        if (out[i] !== undefined) continue;
        const a = attributes[sids[i]] ?? {};
        out[i] = entries[sids[i]] = SeriesEntry.of(a);
      }
    }
    return out;
  }

  /** Stops listening (the reader shut down). */
  close(): void {
    this._stop();
    this._streams.clear();
  }

  private _entries(stream: SeamStream): (SeriesEntry | undefined)[] {
    let list = this._streams.get(stream);
    if (list === undefined) this._streams.set(stream, (list = []));
    return list;
  }
}
