export { AdaptiveSampler, type AdaptiveSamplerOptions, type SamplerStats } from './sampling/sampler.js';
export { MAX_K } from './sampling/state.js';
export {
  BreakerState,
  type BreakerStats,
  CircuitBreakerExporter,
  type CircuitBreakerOptions,
  type ExportResult,
  ExportResultCode,
  type PushMetricExporter,
} from './breaker/breaker.js';
export type { PressureOptions, PressureSource } from './pressure/pressure.js';
export { type ProcessorsExtension, nodeSetup } from './node.js';
