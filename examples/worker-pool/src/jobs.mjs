// The work a pool thread does, instrumented with the standard OpenTelemetry API
// only: this module does not know it runs in a worker thread.
import { metrics, ValueType } from '@opentelemetry/api';

const meter = metrics.getMeter('worker-pool', '1.0.0');
const processed = meter.createCounter('jobs.processed', { description: 'Jobs finished by the pool threads', valueType: ValueType.INT });
const duration = meter.createHistogram('jobs.duration', {
  description: 'Time spent on one job, in milliseconds',
  advice: { explicitBucketBoundaries: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25] },
});
const items = meter.createCounter('jobs.items', { description: 'Items processed', valueType: ValueType.INT });
const inFlight = meter.createUpDownCounter('jobs.in_flight', { description: 'Jobs being processed', valueType: ValueType.INT });
const lastSize = meter.createGauge('jobs.last_size', { description: 'Size of the last job', valueType: ValueType.INT });

/** Counts the primes below `size` (type "primes") or hashes `size` numbers (type "hash"). */
export function runJob({ type, size }) {
  const start = performance.now();
  inFlight.add(1, { 'job.type': type });
  let result = 0;
  let outcome = 'ok';
  try {
    if (type === 'primes') {
      for (let n = 2; n < size; n++) {
        let prime = true;
        for (let d = 2; d * d <= n; d++) {
          if (n % d === 0) {
            prime = false;
            break;
          }
        }
        if (prime) result++;
      }
    } else if (type === 'hash') {
      let h = 0x811c9dc5;
      for (let i = 0; i < size; i++) h = Math.imul(h ^ i, 0x01000193);
      result = h >>> 0;
    } else {
      outcome = 'unknown_type';
    }
  } finally {
    inFlight.add(-1, { 'job.type': type });
  }
  items.add(size, { 'job.type': type });
  processed.add(1, { 'job.type': type, outcome });
  duration.record(performance.now() - start, { 'job.type': type });
  lastSize.record(size, { 'job.type': type });
  return result;
}
