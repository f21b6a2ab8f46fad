#!/usr/bin/env node
// @fastmeter/ring benchmark: ingest cost at 10k series, bytes per stored point
// (plain and compressed, 1M counter points), query latency over 1,000 series ×
// 300 points, and the cost of one 1-second collection as a share of a core.
// Writes bench/results/ring.md.
//
//   pnpm build && cd bench && node --expose-gc ring.mjs [--quick] [--check]
//
// Method. Ingest: a ResourceMetrics of 10,000 cumulative counter points (3-attribute
// sets), handed to ring.ingest() once per simulated second, for the plain and the
// compressed layout and a naive baseline (a Map of per-series JS arrays keyed by the
// JSON of the sorted attributes, as a hand-written ring would be), interleaved over
// ROUNDS. Memory: 3,334 counter series × 300 points (1,000,200 points; +0..100 per
// second, timestamps 1 s apart with 0-4 ms of jitter) ingested into a fresh ring in a
// child process; reported are the ring's own byte count (typed arrays and chunk
// arena) and the heap + ArrayBuffer growth measured with --expose-gc (which includes
// series objects, attribute copies and the intern trie). Queries: a full ring of
// 1,000 counter series and 1,000 explicit-bucket histogram series (the OTel default
// 16 buckets), each with 300 points, string queries parsed every time. Collect: a
// FastMeterProvider with 10,000 counter series and 1,000 histogram series recorded
// every second, timing ring.collect() (the provider's collection + ingest).
// Every measurement is verified: totals read back, compressed read-back equal to plain.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FastMeterProvider } from '@fastmeter/sdk';
import { RingBufferReader } from '@fastmeter/ring';
import { environment } from './lib/env.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const QUICK = process.argv.includes('--quick');
const CHECK = QUICK || process.argv.includes('--check');
const ROUNDS = QUICK ? 3 : 7;
const T0 = 1_800_000_000_000;
const gc = typeof globalThis.gc === 'function' ? globalThis.gc : () => {};
/** Collects until the heap stops shrinking (ArrayBuffer backing stores are released by later passes). */
function fullGc() {
  let last = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 10; i++) {
    gc();
    const m = process.memoryUsage();
    const now = m.heapUsed + m.arrayBuffers;
    if (now >= last) return;
    last = now;
  }
}
const log = m => console.log(`[bench/ring] ${m}`);
const problems = [];
const verify = (ok, what) => {
  if (!ok) problems.push(what);
};

function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const hr = ms => [Math.floor(ms / 1000), (ms % 1000) * 1e6];
const median = xs => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const best = xs => Math.min(...xs);

/** n 3-attribute sets: 25 routes × 4 methods × (n / 100) statuses. */
function attributeSets(n) {
  const out = [];
  for (let i = 0; i < n; i++)
    out.push({ 'http.route': `/api/r${i % 25}`, 'http.request.method': ['GET', 'POST', 'PUT', 'DELETE'][(i / 25) & 3], id: String(Math.floor(i / 100)) });
  return out;
}

function counterBatch(attrs) {
  const points = attrs.map(a => ({ startTime: hr(T0), endTime: hr(T0), attributes: a, value: 0 }));
  const rm = {
    resource: { attributes: { 'service.name': 'bench' } },
    scopeMetrics: [
      {
        scope: { name: 'bench' },
        metrics: [
          {
            descriptor: { name: 'bench.requests', description: '', unit: '', valueType: 1 },
            aggregationTemporality: 1,
            dataPointType: 3,
            isMonotonic: true,
            dataPoints: points,
          },
        ],
      },
    ],
  };
  return { rm, points };
}

// ---- a naive baseline: what a hand-written ring of JS arrays costs --------------------------

class NaiveRing {
  constructor(slots) {
    this.slots = slots;
    this.series = new Map();
  }
  ingest(rm) {
    for (const sm of rm.scopeMetrics)
      for (const m of sm.metrics)
        for (const p of m.dataPoints) {
          const key = `${m.descriptor.name}${JSON.stringify(
            Object.keys(p.attributes)
              .sort()
              .map(k => [k, p.attributes[k]]),
          )}`;
          let s = this.series.get(key);
          if (s === undefined) this.series.set(key, (s = { t: [], v: [] }));
          s.t.push(p.endTime[0] * 1000 + p.endTime[1] / 1e6);
          s.v.push(p.value);
          if (s.t.length > this.slots) {
            s.t.shift();
            s.v.shift();
          }
        }
  }
}

// ---- 1. ingest at 10k series ----------------------------------------------------------------

function ingestBench() {
  const SERIES = 10_000;
  const STEPS = QUICK ? 60 : 300;
  const attrs = attributeSets(SERIES);
  const impls = {
    plain: () => new RingBufferReader({ now: () => T0, cardinalityLimit: 20_000 }),
    compressed: () => new RingBufferReader({ now: () => T0, compression: true, cardinalityLimit: 20_000 }),
    naive: () => new NaiveRing(300),
  };
  const results = Object.fromEntries(Object.keys(impls).map(k => [k, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, make] of Object.entries(impls)) {
      const ring = make();
      const { rm, points } = counterBatch(attrs);
      // Warm-up interval creates the series (not timed: the steady state is what repeats every second).
      for (const p of points) p.endTime = hr(T0);
      ring.ingest(rm);
      gc();
      let total = 0;
      let cpu = 0;
      for (let s = 1; s <= STEPS; s++) {
        const t = hr(T0 + s * 1000);
        for (let i = 0; i < points.length; i++) {
          points[i].endTime = t;
          points[i].value = s * (1 + (i % 7));
        }
        const c0 = process.cpuUsage();
        const start = process.hrtime.bigint();
        ring.ingest(rm);
        total += Number(process.hrtime.bigint() - start);
        const c = process.cpuUsage(c0);
        cpu += (c.user + c.system) * 1000;
      }
      results[name].push({ wall: total / (STEPS * SERIES), cpu: cpu / (STEPS * SERIES) });
      if (name !== 'naive') {
        const stats = ring.stats();
        verify(stats.series === SERIES, `ingest ${name}: ${stats.series} series`);
        verify(stats.points === SERIES * Math.min(STEPS + 1, 300) || name === 'compressed', `ingest ${name}: ${stats.points} points`);
        const sum = ring.query('sum(bench.requests)', { time: T0 + STEPS * 1000 }).samples[0].value;
        let want = 0;
        for (let i = 0; i < SERIES; i++) want += STEPS * (1 + (i % 7));
        verify(sum === want, `ingest ${name}: sum ${sum} != ${want}`);
      }
    }
  }
  return Object.fromEntries(Object.entries(results).map(([k, v]) => [k, summary(v)]));
}

/** best/median of wall-clock and CPU times (the CPU time is steadier on a shared machine). */
function summary(runs) {
  const wall = runs.map(r => r.wall);
  const cpu = runs.map(r => r.cpu);
  return { best: best(wall), median: median(wall), cpuBest: best(cpu), cpuMedian: median(cpu) };
}

/** Runs fn `n` times: best/median wall and CPU ms. */
function timeIt(fn, n) {
  const runs = [];
  for (let i = 0; i < n; i++) {
    const c0 = process.cpuUsage();
    const start = process.hrtime.bigint();
    fn();
    const wall = Number(process.hrtime.bigint() - start) / 1e6;
    const c = process.cpuUsage(c0);
    runs.push({ wall, cpu: (c.user + c.system) / 1000 });
  }
  return summary(runs);
}

// ---- 2. bytes per point, in a child process each ---------------------------------------------

function memoryChild(layout) {
  const SERIES = 3334;
  const SLOTS = 300;
  const attrs = attributeSets(SERIES);
  // The input (attribute sets, data points) exists before the baseline: only the ring is measured.
  const { rm, points } = counterBatch(attrs);
  for (const p of points) p.endTime = hr(T0);
  fullGc();
  const before = process.memoryUsage();
  const ring = new RingBufferReader({
    now: () => T0,
    compression: layout === 'compressed' && (process.env.CHUNK ? { chunkSlots: Number(process.env.CHUNK) } : true),
    cardinalityLimit: 10_000,
  });
  const r = rng(4);
  const values = new Float64Array(SERIES).map(() => Math.floor(r() * 1e6));
  for (let s = 0; s < SLOTS; s++) {
    for (let i = 0; i < SERIES; i++) {
      values[i] += Math.floor(r() * 101);
      points[i].value = values[i];
      const t = T0 + s * 1000 + Math.floor(r() * 5);
      points[i].endTime[0] = Math.floor(t / 1000);
      points[i].endTime[1] = (t % 1000) * 1e6;
    }
    ring.ingest(rm);
  }
  fullGc();
  const after = process.memoryUsage();
  const stats = ring.stats();
  // Read back every series: the last value, and the full history of a few against the plain layout's.
  const latest = ring.query('bench.requests', { time: T0 + SLOTS * 1000 + 10 }).samples;
  let ok = latest.length === SERIES;
  const want = new Map(attrs.map((a, i) => [a.id + a['http.route'] + a['http.request.method'], values[i]]));
  for (const s of latest) ok &&= want.get(s.labels.id + s.labels['http.route'] + s.labels['http.request.method']) === s.value;
  const sample = ring.read('bench.requests{id="7"}').map(x => x.values.join(','));
  const heap = after.heapUsed + after.arrayBuffers - (before.heapUsed + before.arrayBuffers);
  return { points: stats.points, storeBytes: stats.bytes, heapBytes: heap, ok, sample, usedBytes: ring._internalStore.scalars.usedBytes() };
}

function memoryBench() {
  const run = layout =>
    JSON.parse(
      execFileSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), '--memory-child', layout], { encoding: 'utf8', maxBuffer: 64 << 20 }),
    );
  const plain = run('plain');
  const compressed = run('compressed');
  verify(plain.ok, 'memory plain: read-back differs');
  verify(compressed.ok, 'memory compressed: read-back differs');
  // The compressed layout holds at least the 300 slots (whole chunks): compare the common tail.
  const same = plain.sample.every((row, i) => compressed.sample[i].endsWith(row) || row.endsWith(compressed.sample[i]));
  verify(same && plain.sample.length > 0, 'memory: compressed history differs from plain');
  return { plain, compressed };
}

// ---- 3. query latency: 1,000 series × 300 points ----------------------------------------------

function queryRing(layout) {
  const ring = new RingBufferReader({ now: () => T0, compression: layout === 'compressed' });
  const attrs = attributeSets(1000);
  const bounds = [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000];
  const r = rng(9);
  const counters = new Float64Array(1000);
  const hist = attrs.map(() => new Array(bounds.length + 1).fill(0));
  for (let s = 0; s < 300; s++) {
    const t = hr(T0 + s * 1000 + Math.floor(r() * 3));
    const cp = [];
    const hp = [];
    for (let i = 0; i < 1000; i++) {
      counters[i] += Math.floor(r() * 50);
      cp.push({ startTime: hr(T0), endTime: t, attributes: attrs[i], value: counters[i] });
      for (let k = 0; k < 5; k++) {
        const v = Math.exp(r() * 9);
        const b = bounds.findIndex(x => v <= x);
        hist[i][b < 0 ? bounds.length : b]++;
      }
      const counts = [...hist[i]];
      hp.push({
        startTime: hr(T0),
        endTime: t,
        attributes: attrs[i],
        value: { count: counts.reduce((a, b) => a + b, 0), sum: 1, buckets: { boundaries: bounds, counts } },
      });
    }
    ring.ingest({
      resource: { attributes: {} },
      scopeMetrics: [
        {
          scope: { name: 'bench' },
          metrics: [
            {
              descriptor: { name: 'q.requests', description: '', unit: '', valueType: 1 },
              aggregationTemporality: 1,
              dataPointType: 3,
              isMonotonic: true,
              dataPoints: cp,
            },
            { descriptor: { name: 'q.latency', description: '', unit: 'ms', valueType: 1 }, aggregationTemporality: 1, dataPointType: 0, dataPoints: hp },
          ],
        },
      ],
    });
  }
  return ring;
}

function queryBench() {
  const QUERIES = [
    ['rate over all', 'rate(q.requests[5m])', 1000, 1],
    ['sum of rates', 'sum(rate(q.requests[5m]))', 1, undefined],
    ['rate, 1 min window', 'rate(q.requests[1m])', 1000, undefined],
    ['quantile over all', 'histogram_quantile(0.99, rate(q.latency[5m]))', 1000, 5],
    ['quantile of the sum', 'histogram_quantile(0.99, sum(rate(q.latency[5m])))', 1, undefined],
    ['quantile, 1 min window', 'histogram_quantile(0.99, rate(q.latency[1m]))', 1000, undefined],
  ];
  const out = {};
  for (const layout of ['plain', 'compressed']) {
    const ring = queryRing(layout);
    const time = T0 + 299_000 + 500;
    for (const [label, expr, n] of QUERIES) {
      const res = ring.query(expr, { time });
      verify(res.samples.length === n && res.samples.every(s => Number.isFinite(s.value)), `query ${layout} ${expr}: ${res.samples.length} samples`);
      out[`${layout}/${label}`] = { ...timeIt(() => ring.query(expr, { time }), QUICK ? 20 : 100), expr };
    }
  }
  return { results: out, queries: QUERIES };
}

// ---- 4. one collection per second, as a share of a core ---------------------------------------

async function collectBench() {
  const ring = new RingBufferReader({ intervalMillis: 3_600_000, cardinalityLimit: 20_000, readerCardinalityLimit: 20_000, maxSeries: 20_000 });
  const provider = new FastMeterProvider({ readers: [ring] });
  const meter = provider.getMeter('bench');
  const counter = meter.createCounter('c.requests');
  const histogram = meter.createHistogram('c.latency', { unit: 'ms' });
  const attrs = attributeSets(10_000);
  const times = [];
  const ingest = [];
  for (let s = 0; s < (QUICK ? 10 : 40); s++) {
    for (let i = 0; i < attrs.length; i++) counter.add(1, attrs[i]);
    for (let i = 0; i < 1000; i++) histogram.record(i % 300, attrs[i]);
    const c0 = process.cpuUsage();
    const start = process.hrtime.bigint();
    const result = await ring.collect();
    const wall = Number(process.hrtime.bigint() - start) / 1e6;
    const c = process.cpuUsage(c0);
    times.push({ wall, cpu: (c.user + c.system) / 1000 });
    // The ingest share alone: the same collection again into a second ring.
    const other = ingestOnly ?? (ingestOnly = new RingBufferReader({ cardinalityLimit: 20_000, maxSeries: 20_000 }));
    const c1 = process.cpuUsage();
    const t1 = process.hrtime.bigint();
    other.ingest(result.resourceMetrics);
    const wall1 = Number(process.hrtime.bigint() - t1) / 1e6;
    const c2 = process.cpuUsage(c1);
    ingest.push({ wall: wall1, cpu: (c2.user + c2.system) / 1000 });
    await new Promise(r => setImmediate(r));
  }
  const total = ring.query('sum(c.requests)').samples[0].value;
  verify(total === 10_000 * times.length, `collect: total ${total}`);
  verify(ring.stats().series === 11_000, `collect: ${ring.stats().series} series`);
  await provider.shutdown();
  return { collect: summary(times.slice(2)), ingest: summary(ingest.slice(2)) };
}
let ingestOnly;

// ---- report -----------------------------------------------------------------------------------

async function main() {
  const env = environment();
  log(`node ${env.node}, ${env.cpu} x${env.cores}, commit ${env.commit}, load ${env.loadavg}${QUICK ? ', QUICK' : ''}`);
  log('ingest at 10k series');
  const ingest = ingestBench();
  log('bytes per point (child processes)');
  const memory = memoryBench();
  log('query latency');
  const { results: queries, queries: QUERIES } = queryBench();
  log('collect');
  const collect = await collectBench();

  const MB = b => (b / 1e6).toFixed(2);
  const per = (bytes, points) => bytes / points;
  const perMillion = (bytes, points) => (bytes / points) * 1e6;
  const rate = queries['plain/rate over all'];
  const quantile = queries['plain/quantile over all'];
  const targets = [
    {
      target: 'ingest, plain layout, 10k series',
      measured: `${ingest.plain.cpuMedian.toFixed(1)} ns/point`,
      goal: '≤ 100 ns/point (DESIGN; seed: < 5 µs)',
      ok: ingest.plain.cpuMedian <= 100,
    },
    {
      target: 'ingest throughput, plain layout, one core',
      measured: `${(1e9 / ingest.plain.cpuMedian / 1e6).toFixed(1)}M points/s`,
      goal: '≥ 50k points/s (seed 004)',
      ok: 1e9 / ingest.plain.cpuMedian >= 50_000,
    },
    {
      target: 'stored points per 1M counter points, plain (ring bytes)',
      measured: `${MB(perMillion(memory.plain.storeBytes, memory.plain.points))} MB`,
      goal: '≤ 16 MB',
      ok: perMillion(memory.plain.storeBytes, memory.plain.points) <= 16e6,
    },
    {
      target: 'stored points per 1M counter points, compressed (ring bytes)',
      measured: `${MB(perMillion(memory.compressed.storeBytes, memory.compressed.points))} MB`,
      goal: '≤ 4 MB',
      ok: perMillion(memory.compressed.storeBytes, memory.compressed.points) <= 4e6,
    },
    {
      target: 'memory per 1M counter points, plain (whole ring)',
      measured: `${MB(perMillion(memory.plain.heapBytes, memory.plain.points))} MB`,
      goal: '≤ 16 MB (seed: < 25 MB)',
      ok: perMillion(memory.plain.heapBytes, memory.plain.points) <= 16e6,
    },
    {
      target: 'memory per 1M counter points, compressed (whole ring)',
      measured: `${MB(perMillion(memory.compressed.heapBytes, memory.compressed.points))} MB`,
      goal: '≤ 4 MB',
      ok: perMillion(memory.compressed.heapBytes, memory.compressed.points) <= 4e6,
    },
    { target: 'rate over 1,000 series × 300 points (plain)', measured: `${rate.cpuMedian.toFixed(3)} ms`, goal: '< 1 ms', ok: rate.cpuMedian < 1 },
    {
      target: 'histogram_quantile over 1,000 series × 300 points (plain)',
      measured: `${quantile.cpuMedian.toFixed(3)} ms`,
      goal: '< 5 ms',
      ok: quantile.cpuMedian < 5,
    },
    {
      target: 'one 1 s collection of 11k series (collect + ingest), share of a core',
      measured: `${((collect.collect.cpuMedian / 1000) * 100).toFixed(2)} %`,
      goal: 'reported',
      ok: true,
    },
  ];
  const status = t => (t.goal === 'reported' ? '–' : t.ok ? '✅' : '❌');
  const table = (head, rows) =>
    [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`, ...rows.map(r => `| ${r.join(' | ')} |`)].join('\n');
  const f = (x, d = 1) => x.toFixed(d);
  const both = (r, d = 1) => `${f(r.cpuBest, d)} / ${f(r.cpuMedian, d)} (wall ${f(r.best, d)} / ${f(r.median, d)})`;
  const markdown = [
    '## @fastmeter/ring: ingest, bytes per point, queries, collection cost',
    '',
    `Measured ${env.date} on commit \`${env.commit}\`, Node ${env.node}, ${env.cpu} (${env.cores} cores), load average ${env.loadavg} at the start and ${environment().loadavg} at the end.`,
    'Generated by `bench/ring.mjs`. Times are CPU time of the process (`process.cpuUsage`, best / median), with wall-clock time',
    'beside them: on a shared machine the CPU time is the steadier figure. Targets are judged on the CPU-time median.',
    '',
    table(
      ['target', 'measured', 'goal', ''],
      targets.map(t => [t.target, t.measured, t.goal, status(t)]),
    ),
    '',
    `### Ingest: 10,000 counter series, one ResourceMetrics per simulated second, ns per point (best / median of ${ROUNDS} rounds)`,
    '',
    table(
      ['implementation', 'ns/point CPU (wall)', 'points/s per core (median)', '÷ plain'],
      [
        ['ring, plain layout', both(ingest.plain), `${f(1e9 / ingest.plain.cpuMedian / 1e6, 2)}M`, '1×'],
        [
          'ring, compressed layout',
          both(ingest.compressed),
          `${f(1e9 / ingest.compressed.cpuMedian / 1e6, 2)}M`,
          `${f(ingest.compressed.cpuMedian / ingest.plain.cpuMedian, 2)}×`,
        ],
        [
          'naive baseline (Map of JS arrays, JSON keys)',
          both(ingest.naive),
          `${f(1e9 / ingest.naive.cpuMedian / 1e6, 2)}M`,
          `${f(ingest.naive.cpuMedian / ingest.plain.cpuMedian, 2)}×`,
        ],
      ],
    ),
    '',
    'Per point: one attribute lookup in the interning trie (no string key built) and one append to the series lane; the naive',
    'baseline builds a JSON key per point and shifts JS arrays.',
    '',
    `### Memory: ${memory.plain.points.toLocaleString('en')} counter points (3,334 series × 300), per layout`,
    '',
    table(
      ['layout', 'ring bytes (points)', 'B/point', 'heap + ArrayBuffer growth (whole ring)', 'B/point', 'per 1M points'],
      ['plain', 'compressed'].map(l => {
        const m = memory[l];
        return [
          l,
          `${MB(m.storeBytes)} MB`,
          per(m.storeBytes, m.points).toFixed(2),
          `${MB(m.heapBytes)} MB`,
          per(m.heapBytes, m.points).toFixed(2),
          `${MB(perMillion(m.heapBytes, m.points))} MB`,
        ];
      }),
    ),
    '',
    `Compressed: ${per(memory.compressed.usedBytes, memory.compressed.points).toFixed(2)} B/point in chunks, hot blocks and per-lane metadata`,
    'actually in use; "ring bytes" also counts the arena page not filled yet. The whole-ring figure adds what every series costs',
    `whatever the layout (series object and its numbers, attribute copy, intern trie, compiled code): ~${Math.round((memory.plain.heapBytes - memory.plain.storeBytes) / 3334)} bytes per series here`,
    `(plain; compressed ~${Math.round((memory.compressed.heapBytes - memory.compressed.storeBytes) / 3334)}). The compressed layout codes a counter's integer increments by difference in an adaptive`,
    'width and times against the previous interval or its 10 ms grid (packages/ring/README.md, "Compressed layout"); this',
    'heap figure varies by ~0.2 MB from run to run (garbage collection and compiled-code timing).',
    '',
    `### Queries over 1,000 series × 300 points, ms CPU (wall), best / median of ${QUICK ? 20 : 100}; the string is parsed every time`,
    '',
    table(
      ['query', 'expression', 'plain', 'compressed'],
      QUERIES.map(([label, expr]) => [label, `\`${expr}\``, both(queries[`plain/${label}`], 3), both(queries[`compressed/${label}`], 3)]),
    ),
    '',
    'A rate needs the first and last point of each window and a reset check (skipped when the series had no reset since the',
    'window start): two binary searches per series. A quantile of explicit buckets rebuilds the cumulative buckets at both ends of',
    'the window from the bucket-delta records (free at the ring ends: the base and last states are kept).',
    '',
    '### One collection per second',
    '',
    "FastMeterProvider with 10,000 counter series and 1,000 histogram series: `ring.collect()` (the provider's collection + ingest)",
    `takes ${both(collect.collect)} ms, ${f((collect.collect.cpuMedian / 1000) * 100, 2)} % of one core at one collection per second;`,
    `the ingest alone ${both(collect.ingest)} ms.`,
  ].join('\n');
  for (const t of targets) log(`${status(t)} ${t.target}: ${t.measured} (${t.goal})`);
  if (problems.length > 0) {
    for (const p of problems) console.error(`VERIFY FAILED: ${p}`);
    process.exitCode = 1;
    return;
  }
  if (CHECK) {
    log('verification passed');
    if (targets.some(t => !t.ok)) process.exitCode = 1;
    return;
  }
  mkdirSync(join(HERE, 'results'), { recursive: true });
  writeFileSync(join(HERE, 'results/ring.md'), `${markdown}\n`);
  log('wrote bench/results/ring.md');
}

if (process.argv[2] === '--memory-child') {
  process.stdout.write(JSON.stringify(memoryChild(process.argv[3])));
} else {
  main().catch(err => {
    console.error(`bench/ring FAILED: ${err?.stack ?? err}`);
    process.exit(1);
  });
}
