// The conformance suite's seeded random call sequences (test/conformance/random),
// with the fast export path checked at every collection (see helpers/tap.ts).
import { afterAll, expect, it } from 'vitest';
import { setCollectTap } from '../conformance/harness.js';
import { needPeers, peers } from '../e2e/helpers/peers.js';
import { parseOpenMetrics } from './helpers/openmetrics.js';
import { ExporterTap } from './helpers/tap.js';

const tap = new ExporterTap(4000, 2);
setCollectTap(tap);

await import('../conformance/random.test.js');

afterAll(() => setCollectTap(undefined));

it('went through the random sequences, and their OpenMetrics passes the strict parser', async ctx => {
  console.log(`tap: ${JSON.stringify(tap.stats)}; ${tap.openMetrics.length} OpenMetrics documents`);
  expect(tap.stats.collections).toBeGreaterThan(2000);
  expect(tap.stats.otlpChecks).toBeGreaterThan(5000);
  expect(tap.stats.points).toBeGreaterThan(10_000);
  needPeers(ctx, peers().openMetricsParser);
  const results = await parseOpenMetrics(peers().openMetricsParser.path as string, tap.openMetrics);
  const failures = results.flatMap((r, i) => (r.ok ? [] : [`document ${i}: ${r.error}\n${tap.openMetrics[i].slice(0, 2000)}`]));
  expect(failures).toEqual([]);
}, 120_000);
