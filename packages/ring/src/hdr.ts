// @fastmeter/ring/hdr: raw-value percentiles with hdr-histogram-js (a separate
// entry point, so that importing the ring does not load HDR).
export { HdrPercentiles, type HdrPercentilesOptions, type PercentileReport } from './hdr/percentiles.js';
