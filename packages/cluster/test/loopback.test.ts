import { ValueType } from '@opentelemetry/api';
import { describe, it } from 'vitest';
import { points, primary, settle, workerProvider } from './loopback.js';

describe('loopback', () => {
  it('sums counters of 3 workers', async () => {
    const { fake, reader, hub } = primary();
    const ws = [fake.fork(), fake.fork(), fake.fork()].map(w => workerProvider(w));
    for (const [i, w] of ws.entries()) {
      const c = w.meter.createCounter('requests', { valueType: ValueType.INT });
      c.add(i + 1, { route: '/a' });
      c.add(10, { route: '/b' });
      const h = w.meter.createHistogram('latency', { advice: { explicitBucketBoundaries: [1, 10] } });
      h.record(0.5 * (i + 1), { route: '/a' });
      h.record(20);
      const g = w.meter.createGauge('temp');
      g.record(i);
    }
    await settle();
    await Promise.all(ws.map(w => w.clusterWorker.forceFlush()));
    await settle();
    console.log(JSON.stringify(await points(reader, 'requests')));
    console.log(JSON.stringify(await points(reader, 'latency')));
    console.log(JSON.stringify(await points(reader, 'temp')));
    console.log(JSON.stringify(hub.stats()));
  });
});
