export { FastPrometheusExporter, type FastPrometheusExporterOptions, type ScrapeResult, type ScrapeStats } from './prometheus/exporter.js';
export { DEFAULT_SLICE_BUDGET_MS } from './common/slicer.js';
export { detectLine, type Line } from './common/line.js';
