// The ring's two error regimes (STYLE.md §6). Options written by the application
// author fail fast with RingConfigError and a stable code. Query strings are user
// input of another kind: the dashboard and CLI pass them through, so a malformed
// expression is a QueryError that says where it went wrong. Data handed to
// collect()/ingest() never throws: bad points are dropped with a rate-limited warning.

export const RingErrorCode = {
  INVALID_OPTION: 'FASTMETER_RING_INVALID_OPTION',
  ALREADY_REGISTERED: 'FASTMETER_RING_ALREADY_REGISTERED',
  SHUT_DOWN: 'FASTMETER_RING_SHUT_DOWN',
  INVALID_EXPORTER: 'FASTMETER_RING_INVALID_EXPORTER',
} as const;
export type RingErrorCode = (typeof RingErrorCode)[keyof typeof RingErrorCode];

export class RingConfigError extends Error {
  override readonly name = 'RingConfigError';
  constructor(
    readonly code: RingErrorCode,
    message: string,
  ) {
    super(`${message} (${code})`);
  }
}

export const QueryErrorCode = {
  /** The expression does not parse: `position` is the offset of the offending character. */
  SYNTAX: 'syntax',
  /** It parses but makes no sense (wrong argument type, unknown function, bad regex). */
  INVALID: 'invalid',
  /** It would exceed a limit (points per series, steps, nesting depth, expression length). */
  LIMIT: 'limit',
} as const;
export type QueryErrorCode = (typeof QueryErrorCode)[keyof typeof QueryErrorCode];

/** A malformed or unanswerable query. `position` is a 0-based offset into the expression. */
export class QueryError extends Error {
  override readonly name = 'QueryError';
  constructor(
    readonly code: QueryErrorCode,
    message: string,
    readonly position: number,
    readonly expression: string,
  ) {
    super(position >= 0 ? `${message} at position ${position}` : message);
  }

  /** The expression with a caret under the offending position, for terminals. */
  pointer(): string {
    if (this.position < 0) return this.expression;
    return `${this.expression}\n${' '.repeat(Math.min(this.position, this.expression.length))}^`;
  }
}
