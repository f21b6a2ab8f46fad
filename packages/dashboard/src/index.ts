export { OtlpMetricsReceiver, startOtlpReceiver, DEFAULT_MAX_BODY_BYTES, OTLP_METRICS_PATH } from './receiver/receiver.js';
export type { ExportOutcome, OtlpReceiverOptions, ReceiverStats, RunningReceiver } from './receiver/receiver.js';
export type {
  DataPoint,
  ExponentialHistogram,
  Histogram,
  IngestTarget,
  MetricData,
  MetricDescriptor,
  ReceivedResource,
  ResourceMetrics,
  ScopeMetrics,
} from './receiver/types.js';
export { AlertEngine, ALERT_DEFAULTS } from './alerts/engine.js';
export type { Alert, AlertEngineOptions, AlertNotification, AlertState, Notifier } from './alerts/engine.js';
export type { AlertRule, AlertRuleOptions, Comparison } from './alerts/rule.js';
export { webhookNotifier, webhookPayload } from './alerts/webhook.js';
export type { WebhookOptions } from './alerts/webhook.js';
export { DashboardConfigError } from './common/errors.js';
export type { DashboardErrorCode } from './common/errors.js';
export { parseDuration } from './common/duration.js';
export type { Labels, MetricInfo, QuerySource, RangeSeries, Sample } from './query/source.js';
export { serveDashboard, DEFAULT_UI_PORT, SELF_METER } from './server/dashboard.js';
export type { DashboardOptions, RunningDashboard } from './server/dashboard.js';
export { defaultView, viewQueries, viewsFor, selector, QUANTILES } from './query/presets.js';
export type { View, ViewQuery } from './query/presets.js';
export { m4 } from './server/downsample.js';
export { startBackend } from './backend.js';
export type { Backend, BackendOptions } from './backend.js';
export { ringSource } from './query/ring-source.js';
export { loadConfig } from './cli/config.js';
export type { BackendConfig } from './cli/config.js';
export { VERSION } from './version.js';
export { computeChart, parseChartSpec } from './server/charts.js';
export type { ChartData, ChartSeries, ChartSpec } from './server/charts.js';
export { nodeSetup, nodeDashboard } from './node-setup.js';
export type { NodeDashboardOptions } from './node-setup.js';
