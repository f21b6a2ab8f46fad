// CPU-time variant of lib/harness.mjs's runInterleaved, for micro-benchmarks on a shared machine:
// each run is timed by the process's CPU time (process.cpuUsage), so time spent descheduled by
// other load is not counted. Same procedure: calibrate, then ROUNDS interleaved rounds with gc()
// before each run; returns Map<id, { best, median }> in ns per operation.
import { config } from '../lib/config.mjs';
import { median } from '../lib/harness.mjs';

export function runCpu(list) {
  const cpuNs = (fn, n) => {
    const t0 = process.cpuUsage();
    fn(n);
    const t = process.cpuUsage(t0);
    return ((t.user + t.system) * 1000) / n;
  };
  const sizes = new Map();
  for (const b of list) {
    let n = 8192;
    while (cpuNs(b.fn, n) * n < config.targetMs * 1e6 && n < 1e9) {
      b.iters += n;
      n *= 2;
    }
    b.iters += n;
    sizes.set(b.id, Math.max(n, config.minIters));
  }
  const times = new Map(list.map(b => [b.id, []]));
  for (let r = 0; r < config.rounds; r++) {
    const offset = Math.floor((r * list.length) / config.rounds);
    for (let j = 0; j < list.length; j++) {
      const b = list[(j + offset) % list.length];
      globalThis.gc();
      const n = sizes.get(b.id);
      times.get(b.id).push(cpuNs(b.fn, n));
      b.iters += n;
    }
  }
  return new Map(list.map(b => [b.id, { best: Math.min(...times.get(b.id)), median: median(times.get(b.id)) }]));
}
