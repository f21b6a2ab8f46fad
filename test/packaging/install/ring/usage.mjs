// @fastmeter/ring from import: the README's usage, checked.
import { FastMeterProvider } from '@fastmeter/sdk';
import { QueryError, RingBufferReader } from '@fastmeter/ring';
import { HdrPercentiles } from '@fastmeter/ring/hdr';

const ring = new RingBufferReader();
const hdr = new HdrPercentiles(ring, { instruments: ['http.server.request.duration'] });
const provider = new FastMeterProvider({ readers: [ring], processors: [hdr] });
const meter = provider.getMeter('shop');
const requests = meter.createCounter('http.server.requests');
const duration = meter.createHistogram('http.server.request.duration', { unit: 's' });
for (let i = 0; i < 3; i++) {
  requests.add(5, { 'http.route': '/cart' });
  duration.record(0.0123, { 'http.route': '/cart' });
  await ring.collect();
  await new Promise(resolve => setTimeout(resolve, 20));
}
const total = ring.query('sum(http.server.requests)').samples[0]?.value;
const p99 = ring.query('hdr_quantile(0.99, http.server.request.duration[1m])').samples[0]?.value;
const rate = ring.query('sum by (http.route) (rate(http.server.requests[1m]))').samples[0];
let position = -1;
try {
  ring.query('rate(http.server.requests[1m]');
} catch (err) {
  if (err instanceof QueryError) position = err.position;
}
await provider.shutdown();
if (total !== 15 || !(rate?.value > 0) || rate.labels['http.route'] !== '/cart' || position !== 29 || Math.abs(p99 - 0.0123) > 0.0001) {
  console.error('unexpected', { total, rate, position, p99 });
  process.exit(1);
}
console.log('ok');
