// A node:cluster worker for bench/cluster.mjs. MODE (env):
//   fastmeter  FastMeterProvider + ClusterWorker; 10k series (8,000 counter + 2,000 histogram);
//              commands record all/some/none of them, then sync, and report the sync's cost
//   prom       prom-client counter + histogram with the same 10k label sets in the global
//              registry; prom-client's own cluster code answers the primary's requests
//   record     two providers side by side, one with a ClusterWorker (syncing every 100 ms), one
//              with a plain reader collected every 100 ms; interleaved timed loops of the record path
import v8 from 'node:v8';
import { ValueType } from '@opentelemetry/api';
import { AggregationTemporality, MetricReader } from '@opentelemetry/sdk-metrics';
import { FastMeterProvider } from '@fastmeter/sdk';
import { ClusterWorker } from '@fastmeter/cluster';
import prom from 'prom-client';
import { BOUNDS, COUNTERS, HISTOGRAMS, LABEL_NAMES, attrsOf } from './workload.mjs';

const MODE = process.env.MODE;
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const reply = message => process.send({ bench: true, ...message });

class PlainReader extends MetricReader {
  constructor(options) {
    super(options);
  }
  async onShutdown() {}
  async onForceFlush() {}
}

const views = [{ instrumentName: 'bench.*', aggregationCardinalityLimit: 20_000 }];

if (MODE === 'fastmeter') {
  // What the syncs of one command carried (a command may see more than one sync).
  let last = { bytes: 0, values: 0, definitions: 0, wire: 0 };
  const json = process.env.SERIALIZATION !== 'advanced';
  const clusterWorker = new ClusterWorker({
    intervalMs: 3_600_000,
    onSync(info) {
      last.bytes += info.bytes;
      last.values += info.values;
      last.definitions += info.definitions;
    },
  });
  // The size of what the channel carries: the message as the serialization writes it (measured
  // after the timed sync, not to count the measuring).
  const sent = [];
  const send = process.send.bind(process);
  process.send = (message, ...rest) => {
    if (message?.op === 'sync') sent.push(message);
    return send(message, ...rest);
  };
  const wireBytes = message => (json ? Buffer.byteLength(JSON.stringify(message)) + 1 : v8.serialize(message).length);
  const provider = new FastMeterProvider({ readers: [clusterWorker], views });
  const meter = provider.getMeter('bench');
  const counter = meter.createCounter('bench.requests', { valueType: ValueType.INT });
  const histogram = meter.createHistogram('bench.latency', { unit: 'ms', advice: { explicitBucketBoundaries: BOUNDS } });
  let recorded = 0;
  const record = every => {
    for (let i = 0; i < COUNTERS; i += every) {
      counter.add(1, attrsOf(i));
      recorded++;
    }
    for (let i = 0; i < HISTOGRAMS; i += every) histogram.record((i * 37) % 3000, attrsOf(i));
  };
  process.on('message', async m => {
    if (m?.cmd === 'sync') {
      // Records `every`-th series, then one sync: collection + encoding + hand-off to the channel.
      if (m.every > 0) record(m.every);
      last = { bytes: 0, values: 0, definitions: 0, wire: 0 };
      const c0 = cpuMs();
      const t0 = performance.now();
      await clusterWorker.forceFlush();
      const cpu = cpuMs() - c0;
      const wall = performance.now() - t0;
      for (const message of sent.splice(0)) last.wire += wireBytes(message);
      reply({ cmd: 'synced', cpuMs: cpu, wallMs: wall, ...last, recorded });
    } else if (m?.cmd === 'cpu') {
      reply({ cmd: 'cpu', cpuMs: cpuMs() });
    }
  });
  await clusterWorker.forceFlush(); // the primary's welcome, and the sync it triggers, before any measurement
  reply({ cmd: 'ready' });
} else if (MODE === 'prom') {
  new prom.AggregatorRegistry(); // installs prom-client's worker-side listener for the primary's requests
  const counter = new prom.Counter({ name: 'bench_requests', help: 'h', labelNames: LABEL_NAMES });
  const histogram = new prom.Histogram({ name: 'bench_latency', help: 'h', labelNames: LABEL_NAMES, buckets: BOUNDS });
  for (let i = 0; i < COUNTERS; i++) counter.inc(attrsOf(i));
  for (let i = 0; i < HISTOGRAMS; i++) histogram.observe(attrsOf(i), (i * 37) % 3000);
  process.on('message', async m => {
    if (m?.cmd === 'cpu') reply({ cmd: 'cpu', cpuMs: cpuMs() });
    else if (m?.cmd === 'size')
      reply({
        cmd: 'size',
        bytes: Buffer.byteLength(JSON.stringify({ type: 'prom-client:getMetricsRes', requestId: 1, metrics: await prom.register.getMetricsAsJSON() })) + 1,
      });
  });
  reply({ cmd: 'ready' });
} else if (MODE === 'record') {
  const { recordLoop } = await import('./workload.mjs');
  const clusterWorker = new ClusterWorker({ intervalMs: 100 });
  const clustered = new FastMeterProvider({ readers: [clusterWorker] });
  const plainReaders = [AggregationTemporality.CUMULATIVE, AggregationTemporality.DELTA].map(t => new PlainReader({ aggregationTemporalitySelector: () => t }));
  const plains = plainReaders.map(reader => new FastMeterProvider({ readers: [reader] }));
  // Every provider does its collection work every 100 ms while the loops run: the same schedule.
  const timer = setInterval(() => {
    for (const reader of plainReaders) reader.collect();
  }, 100);
  const impls = [
    ['fastmeter + ClusterWorker (delta, syncs every 100 ms)', clustered],
    ['fastmeter + a cumulative reader (as PrometheusExporter), collected every 100 ms', plains[0]],
    ['fastmeter + a delta reader (as OTLP delta), collected every 100 ms', plains[1]],
  ].map(([name, provider]) => {
    const meter = provider.getMeter('bench');
    return {
      name,
      counter: meter.createCounter('bench.requests', { valueType: ValueType.INT }),
      histogram: meter.createHistogram('bench.latency', { advice: { explicitBucketBoundaries: BOUNDS } }),
      ops: 0,
      ns: [],
      loopCpuNs: [],
      cpuNs: [],
    };
  });
  process.on('message', async m => {
    if (m?.cmd !== 'record') return;
    for (let round = 0; round < m.rounds; round++) {
      const order = impls.map((_, i) => impls[(i + round) % impls.length]);
      for (const impl of order) {
        globalThis.gc?.();
        // The record path alone: the synchronous loops, slice by slice, in wall time and in this
        // process' CPU time (which a loaded machine does not inflate by preempting it). Between
        // slices the process yields, so that the 100 ms timers (syncs, collections) run; process
        // CPU over the whole run includes them.
        let ns = 0;
        let cpu = 0;
        const c0 = cpuMs();
        for (let done = 0; done < m.ops; done += m.slice) {
          const s0 = cpuMs();
          const t0 = process.hrtime.bigint();
          recordLoop(impl.counter, impl.histogram, m.slice, done);
          ns += Number(process.hrtime.bigint() - t0);
          cpu += cpuMs() - s0;
          await new Promise(setImmediate);
        }
        impl.ns.push(ns / m.ops);
        impl.loopCpuNs.push((cpu * 1e6) / m.ops);
        impl.cpuNs.push(((cpuMs() - c0) * 1e6) / m.ops);
        impl.ops += m.ops;
      }
    }
    clearInterval(timer);
    await clustered.shutdown();
    const totals = [];
    for (const reader of plainReaders) {
      const { resourceMetrics } = await reader.collect();
      totals.push(resourceMetrics.scopeMetrics[0]?.metrics.find(x => x.descriptor.name === 'bench.requests')?.dataPoints.reduce((n, p) => n + p.value, 0) ?? 0);
    }
    reply({ cmd: 'recorded', impls: impls.map(({ name, ns, loopCpuNs, cpuNs, ops }) => ({ name, ns, loopCpuNs, cpuNs, ops })), plainTotal: totals[0] });
  });
  reply({ cmd: 'ready' });
}
