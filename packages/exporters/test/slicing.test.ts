// Large scrapes are written in slices that give the event loop back, and what
// they print is still one snapshot per stream: another task adds to every series
// of a stream at once, again and again, while the scrape is being written; a
// consistent snapshot shows every series with the same number of those rounds.
// Durations are not asserted here (benchmarks measure them: bench/exporters.mjs);
// the structure is: several slices, other callbacks ran in between, exact values.
import { FastMeterProvider } from '@fastmeter/sdk';
import { describe, expect, it } from 'vitest';
import { FastPrometheusExporter } from '../src/index.js';
import { FastOTLPMetricExporter } from '../src/otlp.js';
import { Slicer, collectColumns, SeriesStore } from '../src/internal.js';
import { readSeamOf } from '@fastmeter/sdk/internal';

const SERIES = 20_000;

function setup(budget: number) {
  const exporter = new FastPrometheusExporter({ preventServerStart: true, sliceBudgetMillis: budget, cardinalitySelector: () => SERIES + 10 });
  const provider = new FastMeterProvider({ readers: [exporter] });
  const meter = provider.getMeter('slices');
  const counter = meter.createCounter('hits');
  const histogram = meter.createHistogram('sizes', { advice: { explicitBucketBoundaries: [10, 100] } });
  const attrs = Array.from({ length: SERIES }, (_, i) => ({ shard: String(i % 97), key: `k${i}` }));
  for (const a of attrs) counter.add(1, a);
  for (let i = 0; i < 2000; i++) histogram.record(5, attrs[i]);
  return { exporter, provider, counter, histogram, attrs };
}

/** Runs `round` again and again on later event-loop turns until stopped; stop() returns the rounds run. */
function meddle(round: () => void): { stop(): number } {
  let rounds = 0;
  let running = true;
  const tick = () => {
    if (!running) return;
    round();
    rounds++;
    setImmediate(tick);
  };
  setImmediate(tick);
  return {
    stop() {
      running = false;
      return rounds;
    },
  };
}

/** `name{labels} value` samples of `metric` in a classic exposition. */
function samples(text: string, metric: string): number[] {
  return text
    .split('\n')
    .filter(l => l.startsWith(`${metric}{`))
    .map(l => Number(l.slice(l.lastIndexOf(' ') + 1)));
}

describe('sliced scrapes', () => {
  it('give the event loop back between slices and print one snapshot per stream', async () => {
    const { exporter, counter, histogram, attrs } = setup(0.05);
    const ticks = meddle(() => {
      for (const a of attrs) counter.add(1000, a);
      for (let i = 0; i < 2000; i++) histogram.record(50, attrs[i]);
    });
    const first = (await exporter.scrape()).body.toString();
    const rounds = ticks.stop();
    expect(exporter.lastScrape?.slices).toBeGreaterThan(10);
    expect(rounds).toBeGreaterThan(2);
    // Every series of a stream has seen the same rounds: one value per stream.
    const hits = samples(first, 'hits_total');
    expect(hits).toHaveLength(SERIES);
    expect(new Set(hits).size).toBe(1);
    const counts = samples(first, 'sizes_count');
    expect(counts).toHaveLength(2000);
    expect(new Set(counts).size).toBe(1);
    // The rounds made while this scrape was written are in the next one, exactly.
    const second = samples((await exporter.scrape()).body.toString(), 'hits_total');
    expect(new Set(second)).toEqual(new Set([1 + 1000 * rounds]));
  });

  it('in OpenMetrics and in OTLP too', async () => {
    const { exporter, provider, counter, attrs } = setup(0.05);
    const ticks = meddle(() => {
      for (const a of attrs) counter.add(1000, a);
    });
    const om = (await exporter.scrape('application/openmetrics-text')).body.toString();
    const hits = samples(om, 'hits_total');
    expect(hits).toHaveLength(SERIES);
    expect(new Set(hits).size).toBe(1);
    // OTLP: the columns of another (delta) reader encoded in slices.
    const seam = readSeamOf((exporter as unknown as { _producer: unknown })._producer);
    if (seam === undefined) throw new Error('no seam');
    const slicer = new Slicer(0.05);
    const store = new SeriesStore(seam);
    const columns = await collectColumns(seam, store, slicer);
    const body = await new FastOTLPMetricExporter({ protocol: 'http/json', url: 'http://127.0.0.1:9/v1/metrics' }).encode(columns, slicer);
    expect(ticks.stop()).toBeGreaterThan(2);
    const json = JSON.parse(Buffer.from(body).toString());
    const points = json.resourceMetrics[0].scopeMetrics[0].metrics.find((m: { name: string }) => m.name === 'hits').sum.dataPoints;
    expect(points).toHaveLength(SERIES);
    expect(new Set(points.map((p: { asDouble: number }) => p.asDouble)).size).toBe(1);
    expect(slicer.slices).toBeGreaterThan(5);
    await provider.shutdown();
  });

  it('a generous budget writes in one slice', async () => {
    const { exporter } = setup(60_000);
    await exporter.scrape();
    expect(exporter.lastScrape?.slices).toBe(1);
  });

  it('the slicer ends a slice once its budget is spent, not before', async () => {
    const slicer = new Slicer(1000);
    expect(slicer.due()).toBe(false);
    const short = new Slicer(1);
    const until = performance.now() + 2;
    while (performance.now() < until); // a busy millisecond or two
    expect(short.due()).toBe(true);
    await short.check();
    expect(short.slices).toBe(2);
    short.finish();
    expect(short.longestSliceMs).toBeGreaterThanOrEqual(1);
  });
});
