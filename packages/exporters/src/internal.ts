// Building blocks of the fast paths, for fastmeter's own packages and tests
// (the differential suite in test/fast-exporters). Not public API: no semver promise.
export { type ColumnCollection, type ColumnMetric, collectColumns, columnsOf, millisToHrTime } from './common/columns.js';
export { SeriesEntry, SeriesStore } from './common/series.js';
export { Slicer } from './common/slicer.js';
export { ClassicTextWriter, type PrometheusFormatOptions } from './prometheus/text.js';
export { OpenMetricsWriter, OPENMETRICS_CONTENT_TYPE } from './prometheus/openmetrics.js';
export { prefersOpenMetrics } from './prometheus/negotiate.js';
export { encodeJson } from './otlp/json.js';
export { encodeProtobuf } from './otlp/protobuf.js';
export { decodeExportResponse } from './otlp/response.js';
