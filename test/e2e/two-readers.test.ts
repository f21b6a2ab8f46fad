// One FastMeterProvider, the two readers of the README's usage example at once:
// the PrometheusExporter (pull, cumulative) and PeriodicExportingMetricReader +
// the real OTLP protobuf exporter with the DELTA preference (push). fastmeter
// keeps one storage for both and reclaims delta series that stayed idle for an
// interval (DESIGN.md); neither may show in the other reader. The OTLP requests
// are decoded by protoc against the official schema; the Prometheus text is
// judged by promtool.
import { once } from 'node:events';
import { type Server, createServer } from 'node:http';
import { ValueType } from '@opentelemetry/api';
import { AggregationTemporalityPreference } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { FastMeterProvider } from '@fastmeter/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { histogramSeries, parseExposition } from './helpers/exposition.js';
import { OtlpDecoders, OtlpReceiver, type Summary, histogramPoint, summarize } from './helpers/otlp.js';
import { missing, needPeers, peers } from './helpers/peers.js';
import { fetchWithTimeout, run } from './helpers/proc.js';

const p = peers();

describe('Prometheus (cumulative) and OTLP protobuf (delta) readers on one provider', () => {
  let receiver: OtlpReceiver | undefined;
  let decoders: OtlpDecoders | undefined;
  let server: Server | undefined;
  let provider: FastMeterProvider | undefined;
  let url = '';

  beforeAll(async () => {
    receiver = await OtlpReceiver.start();
    if (missing(p.protoc).length === 0) decoders = await OtlpDecoders.create(p.protoc.path!);
    const prometheus = new PrometheusExporter({ preventServerStart: true });
    const otlp = new PeriodicExportingMetricReader({
      exporter: new OTLPMetricExporter({ url: receiver.url, temporalityPreference: AggregationTemporalityPreference.DELTA, timeoutMillis: 5000 }),
      exportIntervalMillis: 600_000,
      exportTimeoutMillis: 5000,
    });
    provider = new FastMeterProvider({ resource: resourceFromAttributes({ 'service.name': 'two-readers' }), readers: [prometheus, otlp] });
    server = createServer((req, res) => prometheus.getMetricsRequestHandler(req, res));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const address = server.address();
    if (address === null || typeof address !== 'object') throw new Error('no address');
    url = `http://127.0.0.1:${address.port}/metrics`;
  });

  afterAll(async () => {
    await provider?.shutdown().catch(() => {});
    server?.closeAllConnections();
    await new Promise(resolve => (server ? server.close(resolve) : resolve(undefined)));
    await receiver?.close();
    await decoders?.close();
  });

  async function scrape() {
    const text = await (await fetchWithTimeout(url)).text();
    const families = parseExposition(text);
    const jobs = Object.fromEntries(families.get('jobs_total')!.samples.map(s => [s.labels.queue, s.value]));
    const durations = Object.fromEntries([...histogramSeries(families.get('job_duration')!).values()].map(s => [s.labels.queue, s.count]));
    const workers = families.get('workers')!.samples.map(s => s.value);
    return { text, jobs, durations, workers };
  }

  async function pushed(): Promise<Summary> {
    const [request, ...more] = receiver!.take();
    expect(more).toEqual([]);
    return summarize(await decoders!.decodeProtobuf(request.body));
  }
  const values = (s: Summary, name: string) =>
    Object.fromEntries(Object.values(s.metrics[name]?.points ?? {}).map(pt => [String(pt.attributes.queue ?? ''), pt.value ?? histogramPoint(pt).count]));

  it('each reader sees its own temporality; series reclaimed from the delta stream stay in the cumulative one', async ctx => {
    needPeers(ctx, p.protoc, p.promtool);
    const meter = provider!.getMeter('two.readers');
    const jobs = meter.createCounter('jobs', { valueType: ValueType.INT });
    const duration = meter.createHistogram('job.duration', { unit: 's', advice: { explicitBucketBoundaries: [1, 10] } });
    const workers = meter.createUpDownCounter('workers', { valueType: ValueType.INT });

    // Interval 1
    for (let i = 0; i < 3; i++) jobs.add(1, { queue: 'a' });
    jobs.add(2, { queue: 'b' });
    duration.record(0.5, { queue: 'a' });
    workers.add(2);
    await provider!.forceFlush();
    const d1 = await pushed();
    expect(values(d1, 'jobs')).toEqual({ a: 3, b: 2 });
    expect(d1.metrics.jobs.temporality).toBe('AGGREGATION_TEMPORALITY_DELTA');
    expect(await scrape()).toMatchObject({ jobs: { a: 3, b: 2 }, durations: { a: 1 }, workers: [2] });

    // Interval 2: only b; a is idle (and may be reclaimed from the delta bookkeeping).
    jobs.add(5, { queue: 'b' });
    duration.record(5, { queue: 'b' });
    workers.add(-1);
    await provider!.forceFlush();
    const d2 = await pushed();
    expect(values(d2, 'jobs')).toEqual({ b: 5 });
    expect(values(d2, 'job.duration')).toEqual({ b: 1 });
    expect(d2.metrics.workers.points['']).toMatchObject({ value: 1 }); // up-down counters stay cumulative
    expect(await scrape()).toMatchObject({ jobs: { a: 3, b: 7 }, durations: { a: 1, b: 1 }, workers: [1] });

    // Interval 3: a new series only.
    jobs.add(1, { queue: 'c' });
    await provider!.forceFlush();
    expect(values(await pushed(), 'jobs')).toEqual({ c: 1 });
    expect(await scrape()).toMatchObject({ jobs: { a: 3, b: 7, c: 1 }, durations: { a: 1, b: 1 } });

    // Interval 4: a again, after two idle intervals: cumulative continues from 3, delta counts 1.
    jobs.add(1, { queue: 'a' });
    duration.record(50, { queue: 'a' });
    const scraped = await scrape();
    expect(scraped).toMatchObject({ jobs: { a: 4, b: 7, c: 1 }, durations: { a: 2, b: 1 }, workers: [1] });
    await provider!.shutdown();
    const d4 = await pushed();
    expect(values(d4, 'jobs')).toEqual({ a: 1 });
    expect(histogramPoint(d4.metrics['job.duration'].points['queue="a"'])).toMatchObject({ count: 1, sum: 50, bucketCounts: [0, 0, 1] });

    const lint = await run(p.promtool.path!, ['check', 'metrics'], { input: scraped.text, timeoutMs: 15_000 });
    expect({ code: lint.code, out: `${lint.stdout}${lint.stderr}`.trim() }).toEqual({ code: 0, out: '' });
  });
});
