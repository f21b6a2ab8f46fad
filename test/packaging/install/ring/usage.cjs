// @fastmeter/ring from require(): ingest data collected elsewhere, list and query it.
const { RingBufferReader } = require('@fastmeter/ring');

const ring = new RingBufferReader();
const now = Date.now();
const t = ms => [Math.floor(ms / 1000), (ms % 1000) * 1e6];
for (let i = 0; i < 5; i++) {
  ring.ingest({
    resource: { attributes: { 'service.name': 'worker', 'service.instance.id': 'w-1' } },
    scopeMetrics: [
      {
        scope: { name: 'jobs' },
        metrics: [
          {
            descriptor: { name: 'jobs.done', description: '', unit: '', valueType: 0 },
            aggregationTemporality: 0, // delta
            dataPointType: 3, // sum
            isMonotonic: true,
            dataPoints: [{ startTime: t(now - 5000 + i * 1000), endTime: t(now - 4000 + i * 1000), attributes: { queue: 'a' }, value: 2 }],
          },
        ],
      },
    ],
  });
}
const [metric] = ring.metrics();
const [series] = ring.series('jobs.done');
const total = ring.query('jobs.done').samples[0].value;
if (metric.name !== 'jobs.done' || metric.kind !== 'counter' || series.labels['service.instance.id'] !== 'w-1' || total !== 10) {
  console.error('unexpected', { metric, series, total });
  process.exit(1);
}
console.log('ok');
