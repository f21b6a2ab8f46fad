// The @fastmeter/node extension: with `fastmeter: { ring: {...}, dashboard: {...} }`
// in the configuration file (or start({ extensions })), @fastmeter/node loads this
// package and calls nodeSetup; the dashboard is served from the ring that the
// ring extension added to the provider, once the provider exists.
//
//   fastmeter:
//     ring: {}
//     dashboard: { port: 9470, host: 127.0.0.1, title: checkout, receiver: { port: 4318 }, alerts: { rules: [...] } }
import { diag } from '@opentelemetry/api';
import { AlertEngine } from './alerts/engine.js';
import type { BackendConfig } from './cli/config.js';
import { DashboardConfigError } from './common/errors.js';
import { ringSource } from './query/ring-source.js';
import { type RunningReceiver, startOtlpReceiver } from './receiver/receiver.js';
import { type RunningDashboard, serveDashboard } from './server/dashboard.js';

export interface NodeDashboardOptions {
  port?: number;
  host?: string;
  token?: string;
  title?: string;
  maxFps?: number;
  /** Where the start line goes (default console.log; null for none). */
  log?: ((line: string) => void) | null;
  /** Also run an OTLP/HTTP receiver into the same ring (other processes push to it). */
  receiver?: { port?: number; host?: string; maxBodyBytes?: number };
  alerts?: BackendConfig['alerts'];
}

let current: Promise<RunningDashboard | undefined> | undefined;

/** The dashboard @fastmeter/node started (undefined when none is configured or it failed to start). */
export function nodeDashboard(): Promise<RunningDashboard | undefined> {
  return current ?? Promise.resolve(undefined);
}

export function nodeSetup(options: NodeDashboardOptions = {}, context: { extensions?: Record<string, any> } = {}) {
  const ringExtension = context.extensions?.ring;
  const ring = ringExtension?.ring ?? ringExtension?.readers?.[0];
  if (ring === undefined || typeof ring.query !== 'function') {
    throw new DashboardConfigError('FM_DASHBOARD_OPTION', 'fastmeter.dashboard needs fastmeter.ring: the dashboard shows what the ring holds');
  }
  const source = ringSource(ring);
  let alerts: AlertEngine | undefined;
  let receiver: Promise<RunningReceiver | undefined> | undefined;
  return {
    dashboard: true,
    started(provider: unknown) {
      if (options.alerts !== undefined) {
        alerts = new AlertEngine({ source, ...options.alerts });
        alerts.start();
      }
      if (options.receiver !== undefined) {
        receiver = startOtlpReceiver({ ring, meterProvider: provider as never, ...options.receiver }).catch(err => {
          diag.error(`fastmeter dashboard: the OTLP receiver did not start: ${(err as Error).message}`);
          return undefined;
        });
      }
      const { receiver: _r, alerts: _a, ...served } = options;
      current = serveDashboard({ source, alerts, resolutionMs: ring.intervalMillis ?? 1000, ...served }).catch(err => {
        diag.error(`fastmeter dashboard did not start: ${(err as Error).message}`);
        return undefined;
      });
    },
    async shutdown() {
      await alerts?.stop();
      await (await receiver)?.close();
      await (await current)?.close();
    },
  };
}
