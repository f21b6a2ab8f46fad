// The last test of a tap suite: the suite really went through the tap (a check
// over nothing proves nothing), and every OpenMetrics document it kept passes
// the strict parser.
import { expect } from 'vitest';
import { needPeers, peers } from '../../e2e/helpers/peers.js';
import { parseOpenMetrics } from './openmetrics.js';
import type { ExporterTap, TapStats } from './tap.js';

export async function tapVerdict(ctx: { skip(note?: string): never }, tap: ExporterTap, minimum: Partial<TapStats>): Promise<void> {
  console.log(`tap: ${JSON.stringify(tap.stats)}; ${tap.openMetrics.length} OpenMetrics documents`);
  for (const [key, least] of Object.entries(minimum))
    expect([key, tap.stats[key as keyof TapStats]]).toEqual([key, expect.toSatisfy((n: number) => n > (least as number))]);
  needPeers(ctx, peers().openMetricsParser);
  const results = await parseOpenMetrics(peers().openMetricsParser.path as string, tap.openMetrics);
  const failures = results.flatMap((r, i) => (r.ok ? [] : [`document ${i}: ${r.error}\n${tap.openMetrics[i].slice(0, 2000)}`]));
  expect(failures).toEqual([]);
}
