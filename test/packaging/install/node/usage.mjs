// @fastmeter/node from an ES module application: the README's programmatic
// usage, then the register entry as `node --import @fastmeter/node/register`.
import { execFileSync } from 'node:child_process';
import { metrics } from '@opentelemetry/api';
import { shutdown, start } from '@fastmeter/node';

const fail = message => {
  console.error(`@fastmeter/node usage.mjs: ${message}`);
  process.exit(1);
};

// Programmatic: a Prometheus reader served by the application itself (no server, no network).
const node = start({ env: { OTEL_METRICS_EXPORTER: 'prometheus', FASTMETER_PROMETHEUS_SERVER: 'false', FASTMETER_RUNTIME_METRICS: 'false' } });
if (node === undefined) fail('start() returned undefined');
metrics.getMeter('usage').createCounter('jobs').add(3, { queue: 'a' });
const { resourceMetrics } = await node.prometheus.collect();
const point = resourceMetrics.scopeMetrics[0]?.metrics[0]?.dataPoints[0];
if (point?.value !== 3) fail(`expected 3, got ${JSON.stringify(point)}`);
await shutdown();

// The register entry, in a child process.
const register = import.meta.resolve('@fastmeter/node/register');
const name = execFileSync(
  process.execPath,
  ['--import', register, '--input-type=module', '-e', "import { metrics } from '@opentelemetry/api'; console.log(metrics.getMeterProvider().constructor.name)"],
  { env: { ...process.env, OTEL_METRICS_EXPORTER: 'none' }, encoding: 'utf8' },
).trim();
if (name !== 'FastMeterProvider') fail(`--import register: global provider is ${name}`);
console.log('ok');
