// Other fastmeter packages plug in by package name, from the application's
// directory (the working directory): the real @fastmeter/processors through the
// nodeSetup contract (its circuit breaker wraps the push exporter), a fake
// @fastmeter/ring (its documented RingBufferReader; the real one has not landed
// yet), and the real @fastmeter/dashboard through its documented serveDashboard +
// ringSource, which receives the ring.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_DIR, cleanEnv, ensureBuilt } from './helpers.js';

const app = mkdtempSync(join(tmpdir(), 'fastmeter-node-ext-'));
const DASHBOARD = fileURLToPath(new URL('../../dashboard', import.meta.url));
const PROCESSORS = fileURLToPath(new URL('../../processors', import.meta.url));

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
      constructor(options) { this.options = options; this.producer = undefined; this.closed = false; }
      setMetricProducer(p) { this.producer = p; }
      selectAggregation() { return { type: 0 }; }
      selectAggregationTemporality() { return 1; }
      selectCardinalityLimit() { return 2000; }
      collect() { return this.producer.collect(); }
      async forceFlush() {}
      async shutdown() { this.closed = true; }
      query() { return { resultType: 'vector', result: [] }; }
      metrics() { return []; }
      series() { return []; }
      read() { return []; }
    }
    exports.RingBufferReader = RingBufferReader;`,
  );
  mkdirSync(join(app, 'node_modules/@fastmeter'), { recursive: true });
  symlinkSync(DASHBOARD, join(app, 'node_modules/@fastmeter/dashboard'), 'dir');
  symlinkSync(PROCESSORS, join(app, 'node_modules/@fastmeter/processors'), 'dir');
  symlinkSync(PACKAGE_DIR, join(app, 'node_modules/@fastmeter/node'), 'dir');
  writeFileSync(join(app, 'app.cjs'), APP_SCRIPT);
});

afterAll(() => {
  rmSync(app, { recursive: true, force: true });
});

/**
 * The application: a plain Node process in its own directory (this test process resolves packages with
 * vitest's "source" condition; an application loads the builds).
 */
const APP_SCRIPT = `
const { start } = require('@fastmeter/node');
const lines = [];
const withRing = process.argv[2] === 'ring';
const extensions = withRing
  ? { processors: { circuit_breaker: { failure_threshold: 2 } }, ring: { retention: 60 }, dashboard: { port: 0, log: line => lines.push(line) } }
  : { dashboard: { port: 0 } };
const node = start({ env: { OTEL_METRICS_EXPORTER: withRing ? 'console' : 'none', FASTMETER_RUNTIME_METRICS: 'false' }, register: false, exitHooks: false, extensions });
(async () => {
  const out = { keys: Object.keys(node.extensions) };
  if (withRing) {
    const processors = node.extensions.processors;
    // The circuit breaker wraps the console exporter's reader, and joins the sampler among the provider's processors.
    out.processors = {
      kinds: processors.processors.map(p => p.constructor.name),
      wrapped: node.readers.map(r => r._exporter && r._exporter.constructor.name).filter(Boolean),
    };
    node.provider.getMeter('m').createCounter('c').add(5);
    const ring = node.extensions.ring.ring;
    out.ring = { options: ring.options, value: (await ring.collect()).resourceMetrics.scopeMetrics[0].metrics[0].dataPoints[0].value };
    for (let i = 0; i < 100 && !lines.some(l => l.includes('http://127.0.0.1:')); i++) await new Promise(r => setTimeout(r, 50));
    const url = lines.join(' ').match(new RegExp('(http://127[.]0[.]0[.]1:[0-9]+)'))?.[1];
    out.health = url ? (await fetch(url + '/api/health')).status : lines;
    await node.shutdown();
    out.stopped = { ring: ring.closed };
    out.afterShutdown = await fetch(url + '/api/health').then(r => r.status, () => 'refused');
  } else await node.shutdown();
  console.log('RESULT ' + JSON.stringify(out));
})();
`;

function runApp(arg: string): { result: any; stderr: string } {
  const r = spawnSync(process.execPath, ['app.cjs', arg], { cwd: app, env: cleanEnv(), encoding: 'utf8', timeout: 30_000 });
  const line = r.stdout.split('\n').find(l => l.startsWith('RESULT '));
  if (line === undefined) throw new Error(`no result (exit ${r.status})\n${r.stdout}\n${r.stderr}`);
  return { result: JSON.parse(line.slice(7)), stderr: r.stderr };
}

describe('extensions', () => {
  it('wires the real processors (nodeSetup: sampler, breaker around the push exporter), a ring (RingBufferReader) and the real dashboard (nodeSetup, on the ring), and stops them', () => {
    ensureBuilt();
    const { result } = runApp('ring');
    expect(result).toEqual({
      keys: ['processors', 'ring', 'dashboard'],
      processors: { kinds: ['AdaptiveSampler', 'CircuitBreakerExporter'], wrapped: ['CircuitBreakerExporter'] },
      ring: { options: { retention: 60 }, value: 5 },
      health: 200,
      stopped: { ring: true },
      afterShutdown: 'refused',
    });
  });

  it('the dashboard without the ring is reported and skipped', () => {
    const { result, stderr } = runApp('alone');
    expect(result).toEqual({ keys: [] });
    // The dashboard's own nodeSetup refuses; @fastmeter/node reports it and runs on.
    expect(stderr).toMatch(
      /@fastmeter\/node: fastmeter\.dashboard: @fastmeter\/dashboard failed to set up: .*fastmeter\.dashboard needs fastmeter\.ring.*; skipped/,
    );
  });
});
