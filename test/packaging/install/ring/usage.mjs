// @fastmeter/ring from import: the README's usage, checked.
import { FastMeterProvider } from '@fastmeter/sdk';
import { QueryError, RingBufferReader } from '@fastmeter/ring';

const ring = new RingBufferReader();
const provider = new FastMeterProvider({ readers: [ring] });
const requests = provider.getMeter('shop').createCounter('http.server.requests');
for (let i = 0; i < 3; i++) {
  requests.add(5, { 'http.route': '/cart' });
  await ring.collect();
  await new Promise(resolve => setTimeout(resolve, 20));
}
const total = ring.query('sum(http.server.requests)').samples[0]?.value;
const rate = ring.query('sum by (http.route) (rate(http.server.requests[1m]))').samples[0];
let position = -1;
try {
  ring.query('rate(http.server.requests[1m]');
} catch (err) {
  if (err instanceof QueryError) position = err.position;
}
await provider.shutdown();
if (total !== 15 || !(rate?.value > 0) || rate.labels['http.route'] !== '/cart' || position !== 29) {
  console.error('unexpected', { total, rate, position });
  process.exit(1);
}
console.log('ok');
