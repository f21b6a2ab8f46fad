// One sequence of @opentelemetry/api calls, fed both to FastMeterProvider and to
// sdk-metrics' MeterProvider. The values are chosen so that every sum is exact in
// binary floating point: the expected numbers below are written out literally.
import { type MeterProvider, ValueType } from '@opentelemetry/api';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { AggregationType, type ViewOptions } from '@opentelemetry/sdk-metrics';

export const SERVICE_NAME = 'fastmeter-exporters-test';

/** The SDK's default resource (telemetry.sdk.*) plus a service name and a non-string attribute. */
export function testResource() {
  return defaultResource().merge(resourceFromAttributes({ 'service.name': SERVICE_NAME, 'service.instance.id': 'i-1', 'host.cpus': 2 }));
}

export const SCOPE = { name: 'fastmeter.test.exporters', version: '1.2.3', schemaUrl: 'https://opentelemetry.io/schemas/1.28.0' } as const;
/** A second meter without version or schema URL. */
export const OTHER_SCOPE = { name: 'fastmeter.test.other' } as const;

export const LATENCY_BOUNDS = [0.25, 0.5, 1];

/** `payload.size` becomes a base-2 exponential histogram (OTLP only: the Prometheus exporter drops those). */
export const EXPONENTIAL_VIEW: ViewOptions = {
  instrumentName: 'payload.size',
  aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM, options: { maxSize: 160 } },
};

export interface Scenario {
  /** First interval: every instrument gets its first measurements. */
  phase1(): void;
  /** Second interval: some series move on, one is new, the others see nothing. */
  phase2(): void;
}

export const GET_A = { method: 'GET', route: '/a', status: 200 };
export const POST_A = { method: 'POST', route: '/a', status: 201 };
export const DELETE_B = { method: 'DELETE', route: '/b', status: 404 };

export function createScenario(provider: MeterProvider): Scenario {
  const meter = provider.getMeter(SCOPE.name, SCOPE.version, { schemaUrl: SCOPE.schemaUrl });
  const other = provider.getMeter(OTHER_SCOPE.name);

  const requests = meter.createCounter('http.requests', { description: 'Handled HTTP requests', unit: '{request}', valueType: ValueType.INT });
  const bytes = meter.createCounter('bytes.sent', { description: 'Bytes sent', unit: 'By' });
  const queue = meter.createUpDownCounter('queue.depth', { description: 'Items waiting', valueType: ValueType.INT });
  const temperature = meter.createGauge('cpu.temperature', { description: 'Core temperature', unit: 'Cel' });
  const duration = meter.createHistogram('http.server.duration', { description: 'Request duration', unit: 'ms' });
  const latency = meter.createHistogram('rpc.latency', { description: 'RPC latency', unit: 's', advice: { explicitBucketBoundaries: LATENCY_BOUNDS } });
  const payload = meter.createHistogram('payload.size', { description: 'Payload size', unit: 'By', valueType: ValueType.INT });
  const jobs = other.createCounter('jobs.done', { valueType: ValueType.INT });

  const observed = { cpuUser: 12.5, cpuSystem: 3, connections: 7, heap: 1024 };
  meter.createObservableCounter('process.cpu.time', { description: 'CPU time', unit: 's' }).addCallback(r => {
    r.observe(observed.cpuUser, { state: 'user' });
    r.observe(observed.cpuSystem, { state: 'system' });
  });
  meter.createObservableUpDownCounter('connections.open', { description: 'Open connections', valueType: ValueType.INT }).addCallback(r => {
    r.observe(observed.connections);
  });
  const heap = meter.createObservableGauge('memory.heap', { description: 'Heap in use', unit: 'By', valueType: ValueType.INT });
  meter.addBatchObservableCallback(r => r.observe(heap, observed.heap, { pool: 'heap' }), [heap]);

  return {
    phase1() {
      // Fresh literals on purpose: the interner must not depend on object identity.
      requests.add(1, { method: 'GET', route: '/a', status: 200 });
      requests.add(1, { method: 'GET', route: '/a', status: 200 });
      requests.add(1, { ...GET_A });
      requests.add(2, POST_A);
      requests.add(1);
      bytes.add(0.5);
      bytes.add(1.25);
      queue.add(5, { queue: 'q1' });
      queue.add(-2, { queue: 'q1' });
      queue.add(-3, { queue: 'q2' });
      temperature.record(40.5, { core: 0 });
      temperature.record(42.25, { core: 0 });
      temperature.record(38, { core: 1 });
      for (const v of [3, 5, 7, 7, 120]) duration.record(v, { route: '/a' });
      duration.record(12000, { route: '/b' });
      for (const v of [0.125, 0.25, 0.375, 2]) latency.record(v);
      for (const v of [0, 1, 2, 4, 1024]) payload.record(v);
      jobs.add(4);
    },
    phase2() {
      requests.add(1, { ...GET_A });
      requests.add(1, DELETE_B);
      bytes.add(0.25);
      queue.add(1, { queue: 'q2' });
      temperature.record(39, { core: 1 });
      duration.record(30, { route: '/b' });
      observed.cpuUser = 20;
      observed.connections = 4;
      observed.heap = 2048;
    },
  };
}
