// What is recorded just before provider.shutdown() reaches the OTLP receiver:
// PeriodicExportingMetricReader runs one last collection and export when it is
// shut down, and FastMeterProvider.shutdown() must shut every reader down and wait
// for it. The export interval is far away, so only the shutdown can send anything.
import { type Meter, ValueType } from '@opentelemetry/api';
import { AggregationTemporalityPreference, OTLPMetricExporter as JsonExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as ProtoExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { FastMeterProvider } from '@fastmeter/sdk';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OtlpSink, summarize } from './helpers/otlp.js';
import { captureDiag, withTimeout } from './helpers/util.js';

let sink: OtlpSink;
const diagnostics = captureDiag();

beforeAll(async () => {
  sink = await OtlpSink.start();
});
afterAll(async () => {
  await sink?.close();
  diagnostics.dispose();
});
afterEach(() => {
  sink.take();
  sink.rejected.splice(0);
  diagnostics.messages.splice(0);
});

function reader(transport: 'protobuf' | 'json', temporalityPreference = AggregationTemporalityPreference.CUMULATIVE) {
  const options = { url: sink.url, temporalityPreference, timeoutMillis: 5000 };
  const exporter = transport === 'json' ? new JsonExporter(options) : new ProtoExporter(options);
  return new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 600_000, exportTimeoutMillis: 5000 });
}

function record(meter: Meter) {
  meter.createCounter('jobs.finished', { valueType: ValueType.INT }).add(5, { queue: 'default' });
  meter.createHistogram('job.duration', { unit: 's' }).record(0.75);
}

describe.each(['protobuf', 'json'] as const)('shutdown flush through OTLP/HTTP %s', transport => {
  it('sends what was recorded just before shutdown(), once, and nothing afterwards', async () => {
    const provider = new FastMeterProvider({ readers: [reader(transport)] });
    const meter = provider.getMeter('shutdown-test', '1.0.0');
    const counter = meter.createCounter('late', { valueType: ValueType.INT });
    record(meter);
    counter.add(1);
    expect(sink.received).toEqual([]);

    await withTimeout(provider.shutdown(), 5000, 'shutdown');

    expect(sink.rejected).toEqual([]);
    expect(sink.received).toHaveLength(1);
    const metrics = summarize(sink.take()[0].request).scopes['shutdown-test'].metrics;
    expect(metrics['jobs.finished'].points).toMatchObject({ 'queue=default': { asInt: '5' } });
    expect(metrics['job.duration'].points['']).toMatchObject({ count: '1', sum: 0.75, min: 0.75, max: 0.75 });
    expect(metrics.late.points['']).toMatchObject({ asInt: '1' });

    // After shutdown: recording is harmless, flushing warns, nothing is sent.
    counter.add(1);
    await withTimeout(provider.forceFlush(), 5000, 'forceFlush after shutdown');
    await withTimeout(provider.shutdown(), 5000, 'second shutdown');
    expect(sink.received).toEqual([]);
    expect(diagnostics.messages).toContain('warn: invalid attempt to force flush after MeterProvider shutdown');
    expect(diagnostics.messages).toContain('warn: shutdown may only be called once per MeterProvider');
  });

  it('with DELTA temporality, sends the interval since the last export', async () => {
    const provider = new FastMeterProvider({ readers: [reader(transport, AggregationTemporalityPreference.DELTA)] });
    const counter = provider.getMeter('shutdown-test').createCounter('events');
    counter.add(2);
    await withTimeout(provider.forceFlush(), 5000, 'forceFlush');
    counter.add(3);
    await withTimeout(provider.shutdown(), 5000, 'shutdown');
    expect(sink.rejected).toEqual([]);
    const values = sink.take().map(c => summarize(c.request).scopes['shutdown-test'].metrics.events.points[''].asDouble);
    expect(values).toEqual([2, 3]);
  });

  it('uses the same default resource as sdk-metrics when none is given', async () => {
    for (const provider of [new FastMeterProvider({ readers: [reader(transport)] }), new MeterProvider({ readers: [reader(transport)] })]) {
      record(provider.getMeter('shutdown-test'));
      await withTimeout(provider.shutdown(), 5000, 'shutdown');
    }
    const [fast, ref] = sink.take().map(c => summarize(c.request).resource);
    expect(fast).toEqual(ref);
    const keys = fast.attributes.map((a: { key: string }) => a.key);
    expect(keys).toEqual(expect.arrayContaining(['service.name', 'telemetry.sdk.language', 'telemetry.sdk.name', 'telemetry.sdk.version']));
  });
});
