export { type FastMeterNode, type PrometheusReader, type StartOptions, loadConfig, running, shutdown, start } from './start.js';
export { ENV_VARIABLES, type Env } from './config/env.js';
export type {
  CardinalityLimits,
  ConsoleExporterConfig,
  ExtensionsConfig,
  NodeConfig,
  OtlpExporterConfig,
  PeriodicReaderConfig,
  PrometheusReaderConfig,
  ReaderConfig,
} from './config/model.js';
export type { NodeExtension, NodeExtensionContext, NodeSetup } from './setup/extensions.js';
export { RuntimeMetrics } from './runtime/runtime-metrics.js';
export { VERSION } from './version.js';
