// The conformance suite's seeded random call sequences (test/conformance/random),
// with the fast export path checked at every collection (see helpers/tap.ts).
import { afterAll, it } from 'vitest';
import { setCollectTap } from '../conformance/harness.js';
import { ExporterTap } from './helpers/tap.js';
import { tapVerdict } from './helpers/verdict.js';

const tap = new ExporterTap(4000, 2);
setCollectTap(tap);

await import('../conformance/random.test.js');

afterAll(() => setCollectTap(undefined));

it(
  'went through the random sequences, and their OpenMetrics passes the strict parser',
  ctx => tapVerdict(ctx, tap, { collections: 2000, otlpChecks: 5000, points: 10_000 }),
  120_000,
);
