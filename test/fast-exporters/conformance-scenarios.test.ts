// Every scenario of the differential conformance suite (test/conformance), run
// with the fast export path reading each fastmeter collection: at every
// collection, our Prometheus text must equal the installed PrometheusSerializer's
// bytes (three option sets), our OTLP bodies the standard serialisers' (see
// helpers/tap.ts), and the OpenMetrics documents must pass the strict parser.
// The conformance comparison with sdk-metrics runs on the same data as usual.
import { afterAll, expect, it } from 'vitest';
import { setCollectTap } from '../conformance/harness.js';
import { needPeers, peers } from '../e2e/helpers/peers.js';
import { parseOpenMetrics } from './helpers/openmetrics.js';
import { ExporterTap } from './helpers/tap.js';

const tap = new ExporterTap();
setCollectTap(tap);

await import('../conformance/aggregations.test.js');
await import('../conformance/attributes.test.js');
await import('../conformance/cardinality.test.js');
await import('../conformance/differences.test.js');
await import('../conformance/lifecycle.test.js');
await import('../conformance/observables.test.js');
await import('../conformance/readers.test.js');
await import('../conformance/registration.test.js');
await import('../conformance/regressions.test.js');
await import('../conformance/views.test.js');

afterAll(() => setCollectTap(undefined));

// Registered after the imported suites: runs when every scenario has gone through the tap.
it('went through every collection of the suite, sliced ones included, and OpenMetrics passes the strict parser', async ctx => {
  console.log(`tap: ${JSON.stringify(tap.stats)}; ${tap.openMetrics.length} OpenMetrics documents`);
  // A check over nothing proves nothing: the suite must have sent data through the tap.
  expect(tap.stats.collections).toBeGreaterThan(500);
  expect(tap.stats.otlpChecks).toBeGreaterThan(1000);
  expect(tap.stats.points).toBeGreaterThan(2000);
  expect(tap.stats.pauses).toBeGreaterThan(100);
  needPeers(ctx, peers().openMetricsParser);
  const results = await parseOpenMetrics(peers().openMetricsParser.path as string, tap.openMetrics);
  const failures = results.flatMap((r, i) => (r.ok ? [] : [`document ${i}: ${r.error}\n${tap.openMetrics[i].slice(0, 2000)}`]));
  expect(failures).toEqual([]);
}, 120_000);
