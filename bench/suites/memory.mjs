// Memory per series: one child process per variant (children/memory.mjs), run one after another
// so that they do not compete for the two cores.
import { config, selected } from '../lib/config.mjs';
import { runChild } from '../lib/child.mjs';

export const MEMORY_VARIANTS = [
  'fastmeter-counter',
  'sdk-metrics-counter',
  'prom-client-counter',
  'fastmeter-histogram',
  'sdk-metrics-histogram',
  'prom-client-histogram',
  'floor-trie',
];

export async function runMemory(log) {
  const variants = MEMORY_VARIANTS.filter(v => selected(`memory/${v}`));
  if (variants.length === 0) return null;
  log(`memory: ${config.series} series per variant, one child process each`);
  const results = new Map();
  for (const v of variants) {
    const r = await runChild('memory.mjs', [v, String(config.series)]);
    log(`  ok   memory/${v}: ${r.afterRecord} / ${r.afterCollect} / ${r.afterRerecord} B per series (${r.collected} series collected)`);
    results.set(v, r);
  }
  return { series: config.series, results };
}
