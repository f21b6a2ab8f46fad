// A local metrics backend in one process: OTLP/HTTP receiver → ring → dashboard
// and alert rules. What `fastmeter dashboard` runs; usable from code as well.
import { AlertEngine } from './alerts/engine.js';
import type { BackendConfig } from './cli/config.js';
import { DashboardConfigError } from './common/errors.js';
import type { QuerySource } from './query/source.js';
import { ringSource } from './query/ring-source.js';
import { type RunningReceiver, startOtlpReceiver } from './receiver/receiver.js';
import type { IngestTarget } from './receiver/types.js';
import { type RunningDashboard, serveDashboard } from './server/dashboard.js';

export interface BackendOptions extends BackendConfig {
  /** The ring to use (default: a new RingBufferReader from @fastmeter/ring with the `ring` options). */
  ringInstance?: IngestTarget & Record<string, any>;
  /** Where start lines go (default console.log). */
  log?: (line: string) => void;
}

export interface Backend {
  readonly ring: IngestTarget & Record<string, any>;
  readonly source: QuerySource;
  readonly receiver: RunningReceiver | undefined;
  readonly dashboard: RunningDashboard | undefined;
  readonly alerts: AlertEngine | undefined;
  /** One line: requests, points, series. */
  status(): string;
  close(): Promise<void>;
}

async function load(name: string): Promise<any> {
  try {
    return await import(name);
  } catch (err) {
    throw new DashboardConfigError('FM_DASHBOARD_OPTION', `the backend needs ${name} (npm install ${name}): ${(err as Error).message}`);
  }
}

/**
 * A ring of its own, collected by a FastMeterProvider that has nothing but
 * fastmeter's own metrics: the ring's (series, bytes), the receiver's and the
 * sdk's. They are what the page's health panel shows.
 */
async function newRing(options: Record<string, unknown>): Promise<{ ring: IngestTarget & Record<string, any>; provider: any }> {
  const { RingBufferReader } = await load('@fastmeter/ring');
  const { FastMeterProvider } = await load('@fastmeter/sdk');
  const ring = new RingBufferReader({ selfMetrics: true, ...options });
  const provider = new FastMeterProvider({ readers: [ring], selfMetrics: true });
  return { ring, provider };
}

export async function startBackend(options: BackendOptions = {}): Promise<Backend> {
  const log = options.log ?? console.log;
  const own = options.ringInstance === undefined ? await newRing({ ...options.ring }) : undefined;
  const ring = options.ringInstance ?? own!.ring;
  const source = ringSource(ring as never);
  const started: { close(): Promise<void> }[] = [];
  try {
    const receiver = options.receiver === false ? undefined : await startOtlpReceiver({ ring, port: 4318, meterProvider: own?.provider, ...options.receiver });
    if (receiver) {
      started.push(receiver);
      log(`fastmeter OTLP/HTTP receiver: ${receiver.url} (set OTEL_EXPORTER_OTLP_METRICS_ENDPOINT=${receiver.url})`);
    }
    let alerts: AlertEngine | undefined;
    if (options.alerts !== undefined) {
      alerts = new AlertEngine({ source, ...options.alerts });
      alerts.start();
      started.push({ close: () => alerts!.stop() });
      log(`fastmeter alerts: ${alerts.rules.length} rule(s), evaluated every ${alerts.evaluationInterval / 1000} s`);
    }
    const resolutionMs = typeof options.ring?.intervalMillis === 'number' ? options.ring.intervalMillis : 1000;
    const dashboard = options.dashboard === false ? undefined : await serveDashboard({ source, alerts, log, resolutionMs, ...options.dashboard });
    if (dashboard) started.push(dashboard);
    return {
      ring,
      source,
      receiver,
      dashboard,
      alerts,
      status() {
        const s = receiver?.receiver.stats;
        const r = typeof ring.stats === 'function' ? ring.stats() : undefined;
        return [
          s ? `received ${s.requests} request(s), ${s.acceptedPoints} point(s) accepted, ${s.rejectedPoints} rejected` : '',
          r ? `ring: ${r.series} series, ${r.points} points, ${(r.bytes / 1048576).toFixed(1)} MiB` : '',
          dashboard ? `${dashboard.clients} page(s) open` : '',
        ]
          .filter(Boolean)
          .join('; ');
      },
      async close() {
        for (const s of started.reverse()) await s.close();
        if (own) await own.provider.shutdown();
      },
    };
  } catch (err) {
    for (const s of started.reverse()) await s.close().catch(() => {});
    await own?.provider.shutdown().catch(() => {});
    throw err;
  }
}
