// Every scenario of the differential conformance suite (test/conformance), run
// with the fast export path reading each fastmeter collection: at every
// collection, our Prometheus text must equal the installed PrometheusSerializer's
// bytes (three option sets), our OTLP bodies the standard serialisers' (see
// helpers/tap.ts), and the OpenMetrics documents must pass the strict parser.
// The conformance comparison with sdk-metrics runs on the same data as usual.
import { afterAll, it } from 'vitest';
import { setCollectTap } from '../conformance/harness.js';
import { ExporterTap } from './helpers/tap.js';
import { tapVerdict } from './helpers/verdict.js';

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
it(
  'went through every collection of the suite, sliced ones included, and OpenMetrics passes the strict parser',
  ctx => tapVerdict(ctx, tap, { collections: 500, otlpChecks: 1000, points: 2000, pauses: 100 }),
  120_000,
);
