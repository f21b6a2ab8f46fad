// Other fastmeter packages plug in by package name: a fake @fastmeter/ring and
// @fastmeter/dashboard installed in the application's directory (the working
// directory) follow the nodeSetup contract; the dashboard receives the ring.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const app = mkdtempSync(join(tmpdir(), 'fastmeter-node-ext-'));
const cwd = process.cwd();

function fakePackage(name: string, source: string): void {
  const dir = join(app, 'node_modules', name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version: '0.0.0', main: 'index.js' }));
  writeFileSync(join(dir, 'index.js'), source);
}

beforeAll(() => {
  fakePackage(
    '@fastmeter/ring',
    `
    class RingBufferReader {
      constructor(options) { this.options = options; this.producer = undefined; }
      setMetricProducer(p) { this.producer = p; }
      selectAggregation() { return { type: 0 }; }
      selectAggregationTemporality() { return 1; }
      selectCardinalityLimit() { return 2000; }
      collect() { return this.producer.collect(); }
      async forceFlush() {}
      async shutdown() { this.closed = true; }
    }
    exports.RingBufferReader = RingBufferReader;`,
  );
  fakePackage(
    '@fastmeter/dashboard',
    `
    exports.nodeSetup = (options, context) => {
      const ring = context.extensions.ring && context.extensions.ring.ring;
      const state = { options, ring, started: undefined, stopped: false };
      globalThis.__dashboard = state;
      return { started(provider) { state.started = provider; }, shutdown() { state.stopped = true; } };
    };`,
  );
  // Packages the application installed are looked up from its working directory.
  process.chdir(app);
});

afterAll(() => {
  process.chdir(cwd);
  rmSync(app, { recursive: true, force: true });
});

describe('extensions', () => {
  it('loads @fastmeter/ring (RingBufferReader) and @fastmeter/dashboard (nodeSetup) by name, in order, with their options', async () => {
    const { start } = await import('@fastmeter/node');
    const node = start({
      env: { OTEL_METRICS_EXPORTER: 'none', FASTMETER_RUNTIME_METRICS: 'false' },
      register: false,
      exitHooks: false,
      extensions: { ring: { retention: 60 }, dashboard: { port: 1234 } },
    })!;
    const state = (globalThis as unknown as { __dashboard: { options: unknown; ring: any; started: unknown; stopped: boolean } }).__dashboard;
    expect(state.options).toEqual({ port: 1234 });
    expect(state.ring.options).toEqual({ retention: 60 });
    expect(state.started).toBe(node.provider);
    // The ring is one of the provider's readers: it collects what is recorded.
    node.provider.getMeter('m').createCounter('c').add(5);
    const { resourceMetrics } = await state.ring.collect();
    expect(resourceMetrics.scopeMetrics[0].metrics[0].dataPoints[0].value).toBe(5);
    await node.shutdown();
    expect(state.ring.closed).toBe(true);
    expect(state.stopped).toBe(true);
  });
});
