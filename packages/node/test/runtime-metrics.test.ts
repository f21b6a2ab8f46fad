// fastmeter's runtime metrics against the real @opentelemetry/instrumentation-runtime-node,
// name for name: same instruments (name, kind, unit, description, value type)
// and the same attribute keys, so existing dashboards work unchanged.
import { PerformanceObserver } from 'node:perf_hooks';
import { RuntimeNodeInstrumentation } from '@opentelemetry/instrumentation-runtime-node';
import { MeterProvider, MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { afterEach, describe, expect, it } from 'vitest';
import { FastMeterProvider } from '@fastmeter/sdk';
import { type FastMeterNode, RuntimeMetrics, start } from '@fastmeter/node';

class TestReader extends MetricReader {
  protected async onShutdown(): Promise<void> {}
  protected async onForceFlush(): Promise<void> {}
}

interface Shape {
  name: string;
  unit: string;
  description: string;
  type: string;
  monotonic: boolean | undefined;
  valueType: number;
  attributeKeys: string[];
}

function shapes(rm: ResourceMetrics, scope: string): Record<string, Shape> {
  const out: Record<string, Shape> = {};
  for (const sm of rm.scopeMetrics) {
    if (sm.scope.name !== scope) continue;
    for (const m of sm.metrics) {
      const keys = new Set<string>();
      for (const p of m.dataPoints) for (const k of Object.keys(p.attributes)) keys.add(k);
      out[m.descriptor.name] = {
        name: m.descriptor.name,
        unit: m.descriptor.unit,
        description: m.descriptor.description,
        type: String(m.dataPointType),
        monotonic: 'isMonotonic' in m ? m.isMonotonic : undefined,
        valueType: m.descriptor.valueType,
        attributeKeys: [...keys].sort(),
      };
    }
  }
  return out;
}

/**
 * Some work for at least `ms`: a busy event loop (for delay samples) and allocation until at least one
 * garbage collection was reported (young generations differ between Node versions; bounded at 10 s).
 */
async function churn(ms: number): Promise<void> {
  let gcs = 0;
  const observer = new PerformanceObserver(list => {
    gcs += list.getEntries().length;
  });
  observer.observe({ entryTypes: ['gc'] });
  const start = Date.now();
  let keep: unknown[] = [];
  try {
    while (Date.now() - start < ms || (gcs === 0 && Date.now() - start < 10_000)) {
      for (let i = 0; i < 20_000; i++) keep.push({ i, s: `x${i}` });
      if (keep.length > 400_000) keep = [];
      await new Promise(r => setTimeout(r, 5));
    }
    // GC entries reach observers asynchronously: one more turn for those of the last loop.
    await new Promise(r => setTimeout(r, 20));
  } finally {
    observer.disconnect();
  }
}

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0)) await f();
});

describe('runtime metrics', () => {
  it('match @opentelemetry/instrumentation-runtime-node name for name (kind, unit, description, value type, attribute keys)', async () => {
    const oursReader = new TestReader();
    const ours = new FastMeterProvider({ readers: [oursReader] });
    const runtime = new RuntimeMetrics();
    runtime.start(ours.getMeter('@fastmeter/node'));
    cleanup.push(
      () => runtime.stop(),
      () => ours.shutdown(),
    );

    const theirsReader = new TestReader();
    const theirs = new MeterProvider({ readers: [theirsReader] });
    const instrumentation = new RuntimeNodeInstrumentation({ monitoringPrecision: 10 });
    instrumentation.setMeterProvider(theirs);
    instrumentation.enable();
    cleanup.push(
      () => instrumentation.disable(),
      () => theirs.shutdown(),
    );

    await churn(400);
    const a = shapes((await oursReader.collect()).resourceMetrics, '@fastmeter/node');
    const b = shapes((await theirsReader.collect()).resourceMetrics, '@opentelemetry/instrumentation-runtime-node');

    // Every metric the instrumentation exports (its semconv module, less v8js.memory.heap.limit which it declares but never creates),
    // exported by both after some work (GC included), with the same shape.
    const NAMES = [
      'nodejs.eventloop.delay.max',
      'nodejs.eventloop.delay.mean',
      'nodejs.eventloop.delay.min',
      'nodejs.eventloop.delay.p50',
      'nodejs.eventloop.delay.p90',
      'nodejs.eventloop.delay.p99',
      'nodejs.eventloop.delay.stddev',
      'nodejs.eventloop.time',
      'nodejs.eventloop.utilization',
      'v8js.gc.duration',
      'v8js.memory.heap.space.available_size',
      'v8js.memory.heap.space.physical_size',
      'v8js.memory.heap.space.size',
      'v8js.memory.heap.used',
      'v8js.resource.active',
    ];
    expect(Object.keys(b).sort()).toEqual(NAMES);
    for (const name of NAMES) expect(a[name], name).toEqual(b[name]);
    // Plus the process metrics of the semantic conventions.
    expect(a['process.cpu.time']).toMatchObject({ unit: 's', monotonic: true, attributeKeys: ['cpu.mode'] });
    expect(a['process.cpu.utilization']).toMatchObject({ unit: '1', attributeKeys: ['cpu.mode'] });
    expect(a['process.memory.usage']).toMatchObject({ unit: 'By', monotonic: false, attributeKeys: [] });
  });

  it('observe plausible values', async () => {
    const reader = new TestReader();
    const provider = new FastMeterProvider({ readers: [reader] });
    const runtime = new RuntimeMetrics();
    runtime.start(provider.getMeter('@fastmeter/node'));
    cleanup.push(
      () => runtime.stop(),
      () => provider.shutdown(),
    );
    await churn(300);
    const { resourceMetrics } = await reader.collect();
    const values: Record<string, { attributes: Record<string, unknown>; value: unknown }[]> = {};
    for (const m of resourceMetrics.scopeMetrics[0].metrics) values[m.descriptor.name] = m.dataPoints as never;
    const one = (name: string) => values[name][0].value as number;
    expect(one('nodejs.eventloop.utilization')).toBeGreaterThan(0);
    expect(one('nodejs.eventloop.utilization')).toBeLessThanOrEqual(1);
    expect(one('nodejs.eventloop.delay.p99')).toBeGreaterThan(0.005); // resolution 10 ms
    expect(one('nodejs.eventloop.delay.p99')).toBeLessThan(5);
    expect(one('process.memory.usage')).toBeGreaterThan(10 * 1024 * 1024);
    const cpu = Object.fromEntries(values['process.cpu.time'].map(p => [p.attributes['cpu.mode'], p.value as number]));
    expect(cpu.user).toBeGreaterThan(0);
    const heap = values['v8js.memory.heap.used'].map(p => p.attributes['v8js.heap.space.name']);
    expect(heap).toContain('old_space');
    expect(heap).toContain('new_space');
    const gc = values['v8js.gc.duration'];
    expect(gc.length).toBeGreaterThan(0);
    expect(gc.map(p => p.attributes['v8js.gc.type']).every(t => ['major', 'minor', 'incremental', 'weakcb'].includes(t as string))).toBe(true);
  });

  it('step aside when instrumentation-runtime-node starts on the same provider (no metric exported twice)', async () => {
    const reader = new TestReader();
    const node = start({ env: { OTEL_METRICS_EXPORTER: 'none' }, register: false, exitHooks: false, readers: [reader] }) as FastMeterNode;
    cleanup.push(() => node.shutdown());
    await churn(150);
    const before = (await reader.collect()).resourceMetrics.scopeMetrics.map(s => s.scope.name);
    expect(before).toContain('@fastmeter/node');
    const instrumentation = new RuntimeNodeInstrumentation({ monitoringPrecision: 10 });
    instrumentation.setMeterProvider(node.provider);
    instrumentation.enable();
    cleanup.push(() => instrumentation.disable());
    await churn(150);
    const after = (await reader.collect()).resourceMetrics;
    expect(after.scopeMetrics.map(s => s.scope.name)).toEqual(['@opentelemetry/instrumentation-runtime-node']);
  });
});
