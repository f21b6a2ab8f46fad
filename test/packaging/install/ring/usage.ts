// @fastmeter/ring's declarations, type-checked (tsc --strict, module nodenext).
import { FastMeterProvider } from '@fastmeter/sdk';
import { type InstantResult, type MetricInfo, QueryError, type RangeResult, RingBufferReader, call, rangeSelector } from '@fastmeter/ring';
import { HdrPercentiles, type PercentileReport } from '@fastmeter/ring/hdr';

const ring = new RingBufferReader({ slots: 600, intervalMillis: 1000, compression: true });
const hdr = new HdrPercentiles(ring, { instruments: ['h'], significantDigits: 3 });
const provider = new FastMeterProvider({ readers: [ring], processors: [hdr] });
const report: PercentileReport[] = hdr.report('h', [0.5, 0.99], { range: 60_000 });
provider.getMeter('m').createCounter('c').add(1);

const instant: InstantResult = ring.query('rate(c[1m])');
const range: RangeResult = ring.query(call('rate', rangeSelector('c', 60_000)), { range: '5m', step: '10s' });
const metrics: MetricInfo[] = ring.metrics();
const first: number = instant.samples[0]?.value ?? 0;
const times: number[] = range.series[0]?.times ?? [];
try {
  ring.validate('rate(c[1m]');
} catch (err) {
  if (err instanceof QueryError) console.log(err.position, err.code, err.pointer());
}
console.log(first, times.length, metrics.length, report[0]?.hdr);
void provider.shutdown();
