// @fastmeter/node from a CommonJS application: programmatic start(), then the
// register entry as `node --require @fastmeter/node/register`.
const { execFileSync } = require('node:child_process');
const { metrics } = require('@opentelemetry/api');
const { shutdown, start } = require('@fastmeter/node');

function fail(message) {
  console.error(`@fastmeter/node usage.cjs: ${message}`);
  process.exit(1);
}

async function main() {
  const node = start({ env: { OTEL_METRICS_EXPORTER: 'prometheus', FASTMETER_PROMETHEUS_SERVER: 'false', FASTMETER_RUNTIME_METRICS: 'false' } });
  if (node === undefined) fail('start() returned undefined');
  metrics.getMeter('usage').createCounter('jobs').add(2);
  const { resourceMetrics } = await node.prometheus.collect();
  const point = resourceMetrics.scopeMetrics[0]?.metrics[0]?.dataPoints[0];
  if (point?.value !== 2) fail(`expected 2, got ${JSON.stringify(point)}`);
  await shutdown();

  const name = execFileSync(
    process.execPath,
    ['--require', require.resolve('@fastmeter/node/register'), '-e', "console.log(require('@opentelemetry/api').metrics.getMeterProvider().constructor.name)"],
    { env: { ...process.env, OTEL_METRICS_EXPORTER: 'none' }, encoding: 'utf8' },
  ).trim();
  if (name !== 'FastMeterProvider') fail(`--require register: global provider is ${name}`);
  console.log('ok');
}
main().catch(err => fail(err.stack));
