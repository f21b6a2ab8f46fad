// Telemetry: the zero-code setup of @fastmeter/node. Nothing else in the
// service knows about fastmeter; app.mjs uses @opentelemetry/api only.
//
// setupTelemetry() gives the standard OTEL_* variables the demo's defaults
// (anything set in the environment wins), then starts @fastmeter/node before any
// meter is fetched: the same as starting the service with
//   OTEL_SERVICE_NAME=http-service OTEL_METRICS_EXPORTER=prometheus FASTMETER_PROCESSORS=true ... \
//   node --import @fastmeter/node/register src/main.mjs
// (the register entry is `start()` with no options). With `dashboard: true` (the
// demo) it adds one reader, a RingBufferReader (@fastmeter/ring) holding the last
// 5 minutes of every series for the live dashboard, and turns on fastmeter's own
// metrics for the dashboard's health panel.
// OTLP export follows OTEL_EXPORTER_OTLP_(METRICS_)ENDPOINT, _PROTOCOL
// (http/protobuf by default, as the specification says), _HEADERS, ...
import { running, shutdown, start } from '@fastmeter/node';

export { shutdown };

/** Starts @fastmeter/node; returns the running setup (undefined when OTEL_SDK_DISABLED=true) and the ring, if any. */
export async function setupTelemetry({ dashboard = false } = {}) {
  const env = process.env;
  const otlpEndpoint = env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT;
  env.OTEL_SERVICE_NAME ||= 'http-service';
  env.OTEL_RESOURCE_ATTRIBUTES ||= 'service.version=1.0.0';
  env.OTEL_METRICS_EXPORTER ||= otlpEndpoint ? 'prometheus,otlp' : 'prometheus';
  env.OTEL_METRIC_EXPORT_INTERVAL ||= '10000';
  // The Prometheus exposition is served on the service's own port (GET /metrics), not on a second server.
  env.FASTMETER_PROMETHEUS_SERVER ||= 'false';
  // @fastmeter/processors: histograms sampled past 10,000 records/s, and a circuit breaker around
  // the OTLP exporter, so that a dead or hanging collector costs the service nothing.
  env.FASTMETER_PROCESSORS ||= 'true';
  let ring;
  if (dashboard) {
    env.FASTMETER_SELF_METRICS ||= 'true';
    const { RingBufferReader } = await import('@fastmeter/ring');
    ring = new RingBufferReader({ intervalMillis: 1000, selfMetrics: true });
  }
  start(ring ? { readers: [ring] } : {});
  return { telemetry: running(), ring };
}

/** "every 10 s to <url> (http/protobuf)" for each OTLP reader, for the startup banner. */
export function describeOtlp() {
  const otlp = (running()?.config.readers ?? []).filter(r => r.kind === 'periodic' && r.exporter.kind === 'otlp');
  return otlp.map(r => `every ${r.intervalMillis / 1000} s to ${r.exporter.endpoint} (${r.exporter.protocol})`).join('; ');
}
