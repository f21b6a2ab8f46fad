// start() / shutdown() in this process: global registration, the NodeSDK
// coexistence variable and its restoration, one instance per process, the
// disabled SDK, and a refused registration.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { metrics } from '@opentelemetry/api';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FastMeterProvider } from '@fastmeter/sdk';
import { running, shutdown, start } from '@fastmeter/node';
import { PACKAGE_DIR, cleanEnv, ensureBuilt } from './helpers.js';

const quiet = () => vi.spyOn(console, 'warn').mockImplementation(() => {});
const ENV = { OTEL_METRICS_EXPORTER: 'none', FASTMETER_RUNTIME_METRICS: 'false' };

afterEach(async () => {
  await shutdown();
  metrics.disable();
  vi.restoreAllMocks();
  delete process.env.OTEL_METRICS_EXPORTER;
  delete process.env.FASTMETER_NODE_OTEL_METRICS_EXPORTER;
});

describe('start() and shutdown()', () => {
  it('registers the provider globally, hides OTEL_METRICS_EXPORTER from NodeSDK, and undoes both at shutdown', async () => {
    process.env.OTEL_METRICS_EXPORTER = 'prometheus';
    const node = start({ env: ENV, exitHooks: false })!;
    expect(node.provider).toBeInstanceOf(FastMeterProvider);
    expect(metrics.getMeterProvider()).toBe(node.provider);
    expect(running()).toBe(node);
    expect(process.env.OTEL_METRICS_EXPORTER).toBe('none');
    expect(process.env.FASTMETER_NODE_OTEL_METRICS_EXPORTER).toBe('prometheus');

    await shutdown();
    expect(running()).toBeUndefined();
    expect(metrics.getMeterProvider()).not.toBe(node.provider);
    expect(process.env.OTEL_METRICS_EXPORTER).toBe('prometheus');
    expect(process.env.FASTMETER_NODE_OTEL_METRICS_EXPORTER).toBeUndefined();
    // Once: a second shutdown is the same promise, and a new start() works.
    await node.shutdown();
    const again = start({ env: ENV, exitHooks: false })!;
    expect(metrics.getMeterProvider()).toBe(again.provider);
  });

  it('keeps one instance per process: a second start() warns and returns it', () => {
    const warn = quiet();
    const first = start({ env: ENV, exitHooks: false });
    expect(start({ env: ENV, exitHooks: false })).toBe(first);
    expect(warn).toHaveBeenCalledWith('@fastmeter/node: start() called again: @fastmeter/node is already running; the running instance is returned');
  });

  it('OTEL_SDK_DISABLED=true: returns undefined, registers nothing, leaves the environment alone', () => {
    expect(start({ env: { ...ENV, OTEL_SDK_DISABLED: 'true' }, exitHooks: false })).toBeUndefined();
    expect(metrics.getMeterProvider()).not.toBeInstanceOf(FastMeterProvider);
    expect(process.env.OTEL_METRICS_EXPORTER).toBeUndefined();
  });

  it('a meter provider registered before: says so, shuts its own provider down, and returns undefined', () => {
    const warn = quiet();
    const other = new FastMeterProvider();
    metrics.setGlobalMeterProvider(other);
    expect(start({ env: ENV, exitHooks: false })).toBeUndefined();
    expect(metrics.getMeterProvider()).toBe(other);
    expect(String(warn.mock.calls.at(-1)?.[0])).toMatch(
      /another MeterProvider is already registered as the global one, so fastmeter is not used\. Load @fastmeter\/node\/register before/,
    );
    expect(running()).toBeUndefined();
  });

  it('register: false leaves the global provider and the environment alone; extra readers, views and resource attributes apply', async () => {
    const { MetricReader } = await import('@opentelemetry/sdk-metrics');
    class Reader extends MetricReader {
      protected async onShutdown(): Promise<void> {}
      protected async onForceFlush(): Promise<void> {}
    }
    const reader = new Reader();
    const node = start({
      env: { ...ENV, OTEL_SERVICE_NAME: 'svc' },
      register: false,
      exitHooks: false,
      readers: [reader],
      views: [{ instrumentName: 'a', name: 'b' }],
      resourceAttributes: { 'service.namespace': 'shop' },
    })!;
    expect(metrics.getMeterProvider()).not.toBe(node.provider);
    expect(process.env.OTEL_METRICS_EXPORTER).toBeUndefined();
    node.provider.getMeter('m').createCounter('a').add(2);
    const { resourceMetrics } = await reader.collect();
    expect(resourceMetrics.resource.attributes).toMatchObject({ 'service.name': 'svc', 'service.namespace': 'shop', 'telemetry.sdk.name': 'opentelemetry' });
    expect(resourceMetrics.scopeMetrics[0].metrics[0]).toMatchObject({ descriptor: { name: 'b' }, dataPoints: [{ value: 2 }] });
    await node.shutdown();
  });

  it('a configured fastmeter package that is not installed is reported and skipped', () => {
    // In a child process started from an empty directory, without NODE_PATH (pnpm's bin shims set it
    // to the store, where every workspace package can be found): @fastmeter/dashboard is not installed there.
    ensureBuilt();
    const dir = mkdtempSync(join(tmpdir(), 'fastmeter-node-missing-'));
    const script = `
      const { start } = require(${JSON.stringify(PACKAGE_DIR)});
      const node = start({ env: ${JSON.stringify(ENV)}, exitHooks: false, register: false, extensions: { dashboard: {} } });
      console.log('started ' + (node !== undefined));
      node.shutdown().then(() => console.log('stopped'));
    `;
    try {
      const r = spawnSync(process.execPath, ['-e', script], { cwd: dir, env: cleanEnv(), encoding: 'utf8', timeout: 30_000 });
      expect(r.stdout).toBe('started true\nstopped\n');
      expect(r.stderr).toContain(
        '@fastmeter/node: fastmeter.dashboard is configured but @fastmeter/dashboard is not installed (npm install @fastmeter/dashboard); skipped',
      );
      expect(r.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
