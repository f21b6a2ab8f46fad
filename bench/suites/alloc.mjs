// Allocation per record once the series exists: one child process per variant (children/alloc.mjs).
import { config, selected } from '../lib/config.mjs';
import { runChild } from '../lib/child.mjs';

export const ALLOC_VARIANTS = [
  'baseline-literal',
  'baseline-literal-double',
  'fastmeter-fresh3',
  'fastmeter-reused',
  'fastmeter-noattrs',
  'fastmeter-bound',
  'fastmeter-histogram3',
  'sdk-metrics-fresh3',
  'sdk-metrics-reused',
];

export async function runAlloc(log) {
  const variants = ALLOC_VARIANTS.filter(v => selected(`alloc/${v}`));
  if (variants.length === 0) return null;
  log(`alloc: ${config.allocRecords} records per variant, one child process each`);
  const results = new Map();
  for (const v of variants) {
    const r = await runChild('alloc.mjs', [v, String(config.allocRecords)]);
    if (r.na) log(`  n/a  alloc/${v}: ${r.na}`);
    else {
      const recorded = r.recorded === undefined ? '' : `, ${r.recorded} recorded`;
      log(`  ok   alloc/${v}: ${r.gcs.scavenge} scavenges, ${r.gcs.markSweep} mark-sweeps, heap +${(r.heapGrowth / 1024).toFixed(0)} KiB${recorded}`);
    }
    results.set(v, r);
  }
  return { records: config.allocRecords, results };
}
