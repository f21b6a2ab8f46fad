// Writes the Markdown report (RESULTS.md) from the suites' results.
import { CASES } from '../suites/hot/index.mjs';
import { config } from './config.mjs';
import { evaluateTargets } from './targets.mjs';

const IMPLS = ['fastmeter', 'sdk-metrics', 'prom-client'];
const ns = x => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
/** Median more than 15% above best: the rounds disagreed (other load on the machine); marked †. */
const NOISY = 1.15;
const cell = r => (!r ? '–' : r.na ? r.na : `${ns(r.best)} / ${ns(r.median)}${r.median > r.best * NOISY ? ' †' : ''}`);
const times = (a, b) => (a?.median && b?.median ? `${ns(a.median / b.median)}×` : '–');
/** A Markdown table; numeric columns (all but the first) right-aligned unless `left`. */
const table = (head, rows, left = false) =>
  [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i === 0 || left ? '---' : '---:')).join('|')}|`, ...rows.map(r => `| ${r.join(' | ')} |`)].join('\n');

function hotSection(hot) {
  const get = id => hot.get(id);
  const rows = [];
  for (const c of CASES) {
    const r = IMPLS.map(impl => get(`hot/${c.id}/${impl}`));
    if (r.every(x => !x)) continue;
    const floor = c.floor ? get(`hot/floor/${c.floor}`) : null;
    rows.push([
      `${c.title} \`${c.id}\``,
      ...r.map(cell),
      floor ? `${cell(floor)} (${c.floor})` : '–',
      times(r[1], r[0]),
      times(r[2], r[0]),
      floor ? times(r[0], floor) : '–',
    ]);
  }
  const floors = [...hot.entries()].filter(([id]) => id.startsWith('hot/floor/'));
  const iterations = [...hot.entries()].filter(([, r]) => r.n).map(([id, r]) => `${id.slice(4)} ${(r.n / 1e6).toFixed(2)}M`);
  return [
    `## Hot path: ns per operation, best / median of ${config.rounds} interleaved rounds`,
    '',
    table(['case', 'fastmeter', 'sdk-metrics', 'prom-client', 'floor', 'sdk-metrics ÷ fastmeter', 'prom-client ÷ fastmeter', 'fastmeter ÷ floor'], rows),
    '',
    '† median more than 15% above best: the rounds disagreed, most likely other load on the machine.',
    'Ratios are of medians. "–": not comparable (sdk-metrics has no bound handles, prom-client no exponential histogram).',
    'Floors: `f64-same-slot` is the like-for-like floor for one series hit back to back (bound by store-to-load forwarding plus the',
    'double add, ~3 ns; `f64-rotating` shows ~0.5 ns without that dependency). `fastmeter ÷ floor` below 1× means fastmeter does less',
    "than that floor's generic work (for a fresh literal, the for-in trie); `trie-known-3` is the lowest floor for a fresh 3-attribute literal.",
    'The fresh-literal cases build a new object each call with the same values, as the targets define them (one series); the',
    '1,000-rotating-sets case changes series on every call.',
    'All totals were read back through a reader (prom-client: its registry) and equal the iterations run, warm-up included.',
    '',
    '### Floors (V8, same run)',
    '',
    table(
      ['floor', 'best', 'median'],
      floors.map(([id, r]) => [`\`${id.slice(10)}\`: ${r.label}`, ns(r.best), ns(r.median)]),
    ),
    '',
    `<details><summary>Iterations per timed run</summary>\n\n${iterations.join(', ')}\n\n</details>`,
  ].join('\n');
}

function collectSection(collect) {
  const impls = IMPLS.filter(i => collect.results.has(i));
  const phases = [
    ['collect', '`reader.collect()`'],
    ['prometheus', 'Prometheus text (`PrometheusSerializer`; prom-client: `registry.metrics()`)'],
    ['otlpJson', 'OTLP JSON (`JsonMetricsSerializer`)'],
    ['collectPrometheus', '**collect + Prometheus text**'],
    ['collectOtlpJson', '**collect + OTLP JSON**'],
  ];
  const ms = r => (r ? `${r.best.toFixed(1)} / ${r.median.toFixed(1)}` : '–');
  const rows = phases.map(([p, title]) => {
    const fm = collect.results.get('fastmeter')?.[p];
    const sdk = collect.results.get('sdk-metrics')?.[p];
    return [title, ...impls.map(i => ms(collect.results.get(i)[p])), fm && sdk ? `${ns(sdk.median / fm.median)}×` : '–'];
  });
  return [
    `## Collect + export: ${collect.series.toLocaleString('en')} cumulative counter series, ms, best / median of ${collect.rounds} rounds`,
    '',
    table(['phase', ...impls, 'sdk-metrics ÷ fastmeter'], rows),
    '',
    'Every series is recorded again (untimed) before each collect. Every collect is checked: series count, total, exported lines.',
    ...serializerShare(collect),
  ].join('\n');
}

/** The serialisers are the same code for both SDKs: how much of the end-to-end time is theirs bounds the achievable ratio. */
function serializerShare(collect) {
  const fm = collect.results.get('fastmeter');
  const sdk = collect.results.get('sdk-metrics');
  if (!fm || !sdk) return [];
  const share = (p, total) => `${((fm[p].median / fm[total].median) * 100).toFixed(0)}%`;
  const bound = p => `${ns((sdk.collect.median + sdk[p].median) / sdk[p].median)}×`;
  return [
    `Serialisation is ${share('prometheus', 'collectPrometheus')} (Prometheus) and ${share('otlpJson', 'collectOtlpJson')} (OTLP JSON) of fastmeter's end-to-end time;`,
    `with the unchanged serialisers, even a free collect would give at most ${bound('prometheus')} (Prometheus) and ${bound('otlpJson')} (OTLP JSON) over sdk-metrics.`,
  ];
}

function memorySection(memory) {
  const rows = [...memory.results.values()].map(r => [r.variant, r.afterRecord, r.afterCollect, r.afterRerecord]);
  return [
    `## Memory: bytes per series, ${memory.series.toLocaleString('en')} distinct 3-attribute sets, one child process per variant`,
    '',
    table(['variant', 'after recording', 'after 1st collect', 'after collect + every series recorded again'], rows),
    '',
    '(heapUsed + arrayBuffers) after 4× `gc()`, minus the baseline taken before the provider existed, ÷ series. Label strings are created before the baseline;',
    'cardinality limits are raised to series + 10. Histograms use the default 15 boundaries (prom-client: the same buckets).',
  ].join('\n');
}

function allocSection(alloc) {
  const kib = b => `${(b / 1024).toFixed(0)} KiB`;
  const rows = [...alloc.results.values()].map(r =>
    r.na
      ? [r.variant, r.na, '', '', '', '', '']
      : [r.variant, ns(r.nsPerOp), r.gcs.scavenge, r.gcs.markSweep + r.gcs.incremental, `${r.gcMs} ms`, kib(r.heapGrowth), kib(r.retainedGrowth)],
  );
  return [
    `## Allocation: ${alloc.records.toLocaleString('en')} records on an existing series, one child process per variant`,
    '',
    table(['variant', 'ns/op', 'scavenges', 'mark-sweep / incremental', 'GC time', 'heap growth (no gc)', 'retained after gc()'], rows),
    '',
    "GC events from a `PerformanceObserver` ('gc' entries) during the loop only. `baseline-literal` is the same loop building the",
    '3-attribute literal and keeping it, with no SDK call: what the caller itself allocates for a fresh literal.',
    '`baseline-literal-double` also keeps the fractional histogram value: a double passed to a function V8 does not inline is',
    'boxed (16 B) at the call, so `histogram.record(v, literal)` costs the caller that too (integer values are not boxed).',
  ].join('\n');
}

/** A section an area script wrote (results/<area>.md), included as is, with a note when this run did not write it. */
function areaSection({ area, markdown, stale, failed }) {
  const note = failed
    ? `> **\`${area}.mjs\` failed in this run**; the section below is from an earlier run.`
    : stale
      ? `> Not run in this run: the section below is from an earlier run of \`${area}.mjs\`.`
      : null;
  const text = markdown.trim();
  if (note === null) return text;
  const [title, ...rest] = text.split('\n');
  return title.startsWith('#') ? [title, '', note, ...rest].join('\n') : [note, '', text].join('\n');
}

/** `areas`: the sections of bench/<area>.mjs (lib/areas.mjs), after the core suites. */
export function renderReport({ env, envEnd, sdk, runtimeMs, hot, collect, memory, alloc, areas = [] }) {
  const partial = config.quick || config.only;
  const pkgs = Object.entries(env.packages)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  const settings = `ROUNDS=${config.rounds} MIN_ITERS=${config.minIters} TARGET_MS=${config.targetMs} MAX_RUN_MS=${config.maxRunMs} SERIES=${config.series} COLLECT_ROUNDS=${config.collectRounds} ALLOC_RECORDS=${config.allocRecords}${config.only ? ` ONLY=${config.only.source}` : ''}${config.quick ? ' QUICK=1' : ''}`;
  const targets = evaluateTargets({ hot, collect, memory, alloc });
  const out = [
    '# fastmeter benchmark results',
    '',
    'Generated by `cd bench && pnpm bench` (`node --expose-gc run.mjs`); do not edit by hand. Method: `bench/README.md`.',
    '',
  ];
  if (partial) out.push('> **Partial run (QUICK or ONLY): not representative, do not commit as RESULTS.md.**', '');
  out.push(
    '## Environment',
    '',
    table(
      ['what', 'value'],
      [
        ['date', env.date],
        ['commit', `${env.commit}${env.sdkDirty ? ' + uncommitted changes in packages/sdk/src' : ''}`],
        [
          '@fastmeter/sdk build',
          `dist built ${sdk.built}, content sha256 ${sdk.hash}; copied at start and used by every suite${envEnd.distBuilt !== sdk.built ? ` (dist was rebuilt during the run, at ${envEnd.distBuilt}; not measured)` : ''}`,
        ],
        ['Node / V8', `${env.node} / ${env.v8}`],
        ['CPU', `${env.cpu}, ${env.cores} cores; ${env.platform}; ${env.memory}`],
        ['load average (1/5/15 min) at start → end', `${env.loadavg} → ${envEnd.loadavg}`],
        ['packages', pkgs],
        ['settings', settings],
        ['runtime', `${(runtimeMs / 60000).toFixed(1)} min`],
      ],
      true,
    ),
    '',
    '## Targets',
    '',
    table(
      ['target', 'measured', 'result'],
      targets.map(t => [t.target, t.measured, t.status]),
      true,
    ),
    '',
  );
  if (hot) out.push(hotSection(hot), '');
  if (collect) out.push(collectSection(collect), '');
  if (memory) out.push(memorySection(memory), '');
  if (alloc) out.push(allocSection(alloc), '');
  for (const section of areas) out.push(areaSection(section), '');
  return { markdown: `${out.join('\n')}\n`, targets };
}
