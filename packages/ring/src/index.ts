export { RingBufferReader } from './reader.js';
export type { MetricInfo, RawSeries, RingBufferReaderOptions, RingEvent, SeriesInfo } from './reader.js';
export { RingConfigError, RingErrorCode, QueryError, QueryErrorCode } from './errors.js';
export type { CompressionOptions, RingOptions } from './options.js';
export type { IngestOptions, IngestResult, RingStats } from './store/ring-store.js';
export type { Labels, MetricKind, ScopeInfo } from './store/model.js';
export type { Duration, InstantResult, InstantSample, QueryOptions, RangeResult, RangeSeries } from './query/engine.js';
export type { HistogramSnapshot } from './query/hist-value.js';
export type { Forwarder, ForwardOptions, ForwarderStats, PushMetricExporterLike, ExportResultLike } from './forward/forwarder.js';
export {
  type AggregateNode,
  type AggregateOp,
  type BinaryNode,
  type BinaryOp,
  type CallNode,
  type Expr,
  type Matcher,
  type MatchOp,
  type NumberNode,
  type SelectorNode,
  aggregate,
  binary,
  call,
  format,
  num,
  rangeSelector,
  selector,
} from './query/ast.js';
export { parse } from './query/parser.js';
