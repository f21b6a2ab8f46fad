// What travels over the cluster IPC channel. Every message is a small object
// with `type: 'fastmeter:cluster'` (applications' own message handlers see it
// too, as with prom-client's cluster messages: ignore that type), so it works
// with both `serialization: 'json'` (the default) and `'advanced'`.
//
//   worker                                   primary
//   ──────                                   ───────
//   hello {session, probe}  ───────────────►  a session per (worker, session id)
//                           ◄───────────────  welcome {session, binary}
//   sync {session, seq, flush, drops, data}►  decode, apply to the provider's instruments
//                           ◄───────────────  flush {session, id}      (fresh data at collect time)
//                           ◄───────────────  reset {session}          (a session it does not know: start over)
//   bye {session}           ───────────────►  the worker's reader shut down: forget the session
//
// `probe` is a one-byte Uint8Array: it arrives as a Uint8Array only over an
// 'advanced' channel, so the primary learns the channel's serialization and
// tells the worker in `welcome.binary`. `data` is then the encoded sync
// (sync.ts) as a Uint8Array, or as a base64 string over a JSON channel
// (measured in bench/results/cluster.md: binary is about half the CPU).

export const MESSAGE_TYPE = 'fastmeter:cluster';
export const PROTOCOL_VERSION = 1;

/** Strings each side keeps per session (keys, values, names); past it strings travel inline. */
export const STRING_TABLE_LIMIT = 1 << 16;

/** Reasons a measurement or series did not reach the primary's export (`fastmeter.cluster.dropped`). */
export const DropCause = {
  /** Worker: a new series while the bytes queued for the channel were over `maxQueueBytes`. */
  QUEUE_FULL: 'queue_full',
  /** Worker: more instruments than `maxInstruments`. */
  INSTRUMENT_LIMIT: 'instrument_limit',
  /** Worker: an aggregation the primary cannot merge (exponential histogram). */
  UNSUPPORTED: 'unsupported',
  /** Primary: a series or instrument id past its per-worker limits. */
  SERIES_LIMIT: 'series_limit',
  /** Primary: a histogram merge refused by the primary's stream (a view changed the aggregation or the boundaries). */
  REFUSED: 'refused',
  /** Primary: a message it could not decode, or data of a session it does not know (the worker starts over). */
  MALFORMED: 'malformed',
} as const;
export type DropCause = (typeof DropCause)[keyof typeof DropCause];

/** Instrument kinds on the wire: what the primary creates. */
export const Kind = { COUNTER: 0, UP_DOWN_COUNTER: 1, GAUGE: 2, HISTOGRAM: 3 } as const;
export type Kind = (typeof Kind)[keyof typeof Kind];

export interface HelloMessage {
  type: typeof MESSAGE_TYPE;
  v: number;
  op: 'hello';
  session: number;
  pid: number;
  probe: unknown;
}

export interface SyncMessage {
  type: typeof MESSAGE_TYPE;
  v: number;
  op: 'sync';
  session: number;
  seq: number;
  /** The flush request this sync answers, or 0. */
  flush: number;
  /** Worker-side drops since the session started, by cause (cumulative: a lost message loses no count). */
  drops: Partial<Record<DropCause, number>> | undefined;
  data: Uint8Array | string;
}

export interface WelcomeMessage {
  type: typeof MESSAGE_TYPE;
  v: number;
  op: 'welcome';
  session: number;
  binary: boolean;
}

export interface FlushMessage {
  type: typeof MESSAGE_TYPE;
  v: number;
  op: 'flush';
  session: number;
  id: number;
}

export interface ResetMessage {
  type: typeof MESSAGE_TYPE;
  v: number;
  op: 'reset';
  session: number;
}

export interface ByeMessage {
  type: typeof MESSAGE_TYPE;
  v: number;
  op: 'bye';
  session: number;
}

export type WorkerMessage = HelloMessage | SyncMessage | ByeMessage;
export type PrimaryMessage = WelcomeMessage | FlushMessage | ResetMessage;

/** One of ours (any op, any version). */
export function isClusterMessage(message: unknown): message is { type: typeof MESSAGE_TYPE; v: unknown; op: unknown; session: unknown } {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === MESSAGE_TYPE;
}

/** `data` as bytes, whichever serialization carried it; null when it is neither. */
export function payloadBytes(data: unknown): Uint8Array | null {
  if (typeof data === 'string') return Buffer.from(data, 'base64');
  if (data instanceof Uint8Array) return data;
  return null;
}
