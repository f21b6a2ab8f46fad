// @fastmeter/dashboard's README usage, type-checked as an application's TypeScript
// (tsc --strict, nodenext). Not run: usage.mjs runs the same code.
import {
  type AlertEngineOptions,
  AlertEngine,
  type AlertNotification,
  type QuerySource,
  type RunningDashboard,
  type RunningReceiver,
  serveDashboard,
  startOtlpReceiver,
} from '@fastmeter/dashboard';

declare const source: QuerySource;
const options: AlertEngineOptions = {
  source,
  groupWait: '30s',
  repeatInterval: '4h',
  webhooks: ['http://127.0.0.1:9000/hook'],
  notifiers: [(n: AlertNotification) => console.log(n.status, n.alerts.length)],
  rules: [{ name: 'HighErrorRate', expr: 'sum(rate(http.server.requests{status="500"}[1m])) > 5', for: '1m', labels: { severity: 'page' } }],
};
const alerts = new AlertEngine(options);
export async function main(): Promise<void> {
  const receiver: RunningReceiver = await startOtlpReceiver({ ring: { ingest: () => undefined }, port: 4318 });
  const dashboard: RunningDashboard = await serveDashboard({ source, alerts, port: 9470, host: '127.0.0.1' });
  console.log(dashboard.url, receiver.url, dashboard.clients);
  await Promise.all([receiver.close(), dashboard.close()]);
}
