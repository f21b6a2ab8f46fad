// Histogram, gauge, up-down counter, exponential histogram (fresh 3-attribute literals) and
// rotating high cardinality (1,000 attribute sets). One function per (case, implementation).
import { HV, L3, LABELS3, OTEL_BOUNDS, ROT_COMBOS, ROT_METHOD, ROT_ORDER, ROT_ROUTE, ROT_STATUS, UD } from '../../lib/fixtures.mjs';
import { bench, notAvailable, otelCount, otelLast, otelSum, promCount, promLast, promSum } from './defs.mjs';

let fmH3, sdkH3, promH3, fmG3, sdkG3, promG3, fmU3, sdkU3, promU3, fmE3, sdkE3, fmRot, sdkRot, promRot;
// Gauges record a running index (base + i) so that the last value proves every run completed.
let fmGBase = 0;
let sdkGBase = 0;
let promGBase = 0;

function fmRecordH3(n) {
  const h = fmH3;
  for (let i = 0; i < n; i++) {
    const o = (i & 1) * 3;
    h.record(HV[i & 1023], { method: L3[o], route: L3[o + 1], status: L3[o + 2] });
  }
  return n;
}
function sdkRecordH3(n) {
  const h = sdkH3;
  for (let i = 0; i < n; i++) {
    const o = (i & 1) * 3;
    h.record(HV[i & 1023], { method: L3[o], route: L3[o + 1], status: L3[o + 2] });
  }
  return n;
}
function promObserveH3(n) {
  const h = promH3;
  for (let i = 0; i < n; i++) {
    const o = (i & 1) * 3;
    h.observe({ method: L3[o], route: L3[o + 1], status: L3[o + 2] }, HV[i & 1023]);
  }
  return n;
}

function fmRecordG3(n) {
  const g = fmG3;
  const base = fmGBase;
  for (let i = 0; i < n; i++) {
    const o = (i & 1) * 3;
    g.record(base + i, { method: L3[o], route: L3[o + 1], status: L3[o + 2] });
  }
  fmGBase = base + n;
  return n;
}
function sdkRecordG3(n) {
  const g = sdkG3;
  const base = sdkGBase;
  for (let i = 0; i < n; i++) {
    const o = (i & 1) * 3;
    g.record(base + i, { method: L3[o], route: L3[o + 1], status: L3[o + 2] });
  }
  sdkGBase = base + n;
  return n;
}
function promSetG3(n) {
  const g = promG3;
  const base = promGBase;
  for (let i = 0; i < n; i++) {
    const o = (i & 1) * 3;
    g.set({ method: L3[o], route: L3[o + 1], status: L3[o + 2] }, base + i);
  }
  promGBase = base + n;
  return n;
}

function fmAddU3(n) {
  const u = fmU3;
  for (let i = 0; i < n; i++) {
    const o = (i & 1) * 3;
    u.add(UD[i & 1], { method: L3[o], route: L3[o + 1], status: L3[o + 2] });
  }
  return n;
}
function sdkAddU3(n) {
  const u = sdkU3;
  for (let i = 0; i < n; i++) {
    const o = (i & 1) * 3;
    u.add(UD[i & 1], { method: L3[o], route: L3[o + 1], status: L3[o + 2] });
  }
  return n;
}
function promIncU3(n) {
  const u = promU3;
  for (let i = 0; i < n; i++) {
    const o = (i & 1) * 3;
    u.inc({ method: L3[o], route: L3[o + 1], status: L3[o + 2] }, UD[i & 1]);
  }
  return n;
}

function fmRecordE3(n) {
  const h = fmE3;
  for (let i = 0; i < n; i++) {
    const o = (i & 1) * 3;
    h.record(HV[i & 1023], { method: L3[o], route: L3[o + 1], status: L3[o + 2] });
  }
  return n;
}
function sdkRecordE3(n) {
  const h = sdkE3;
  for (let i = 0; i < n; i++) {
    const o = (i & 1) * 3;
    h.record(HV[i & 1023], { method: L3[o], route: L3[o + 1], status: L3[o + 2] });
  }
  return n;
}

function fmAddRot(n) {
  const c = fmRot;
  for (let i = 0; i < n; i++) {
    const k = ROT_ORDER[i & 4095];
    c.add(1, { method: ROT_METHOD[k], route: ROT_ROUTE[k], status: ROT_STATUS[k] });
  }
  return n;
}
function sdkAddRot(n) {
  const c = sdkRot;
  for (let i = 0; i < n; i++) {
    const k = ROT_ORDER[i & 4095];
    c.add(1, { method: ROT_METHOD[k], route: ROT_ROUTE[k], status: ROT_STATUS[k] });
  }
  return n;
}
function promIncRot(n) {
  const c = promRot;
  for (let i = 0; i < n; i++) {
    const k = ROT_ORDER[i & 4095];
    c.inc({ method: ROT_METHOD[k], route: ROT_ROUTE[k], status: ROT_STATUS[k] });
  }
  return n;
}

export function otherBenches(ctx) {
  const { fm, sdk } = ctx;
  const { prom, registry } = ctx.prom;
  const opts = name => ({ name, help: name, labelNames: LABELS3, registers: [registry] });

  fmH3 = fm.meter.createHistogram('h3');
  sdkH3 = sdk.meter.createHistogram('h3');
  promH3 = new prom.Histogram({ ...opts('h3'), buckets: OTEL_BOUNDS });
  fmG3 = fm.meter.createGauge('g3');
  sdkG3 = sdk.meter.createGauge('g3');
  promG3 = new prom.Gauge(opts('g3'));
  fmU3 = fm.meter.createUpDownCounter('u3');
  sdkU3 = sdk.meter.createUpDownCounter('u3');
  promU3 = new prom.Gauge(opts('u3'));
  fmE3 = fm.meter.createHistogram('e3');
  sdkE3 = sdk.meter.createHistogram('e3');
  fmRot = fm.meter.createCounter('c_rot');
  sdkRot = sdk.meter.createCounter('c_rot');
  promRot = new prom.Counter(opts('c_rot'));
  const rot = { series: ROT_COMBOS };

  return [
    bench('h3', 'fastmeter', fmRecordH3, otelCount(fm, 'h3')),
    bench('h3', 'sdk-metrics', sdkRecordH3, otelCount(sdk, 'h3')),
    bench('h3', 'prom-client', promObserveH3, promCount(promH3)),
    bench('g3', 'fastmeter', fmRecordG3, otelLast(fm, 'g3')),
    bench('g3', 'sdk-metrics', sdkRecordG3, otelLast(sdk, 'g3')),
    bench('g3', 'prom-client', promSetG3, promLast(promG3)),
    // UD alternates -1, +3: over an even number of records (the harness runs multiples of 1024) the sum is n.
    bench('u3', 'fastmeter', fmAddU3, otelSum(fm, 'u3')),
    bench('u3', 'sdk-metrics', sdkAddU3, otelSum(sdk, 'u3')),
    bench('u3', 'prom-client', promIncU3, promSum(promU3)),
    bench('e3', 'fastmeter', fmRecordE3, otelCount(fm, 'e3')),
    bench('e3', 'sdk-metrics', sdkRecordE3, otelCount(sdk, 'e3')),
    notAvailable('e3', 'prom-client', 'n/a (no exponential histogram)'),
    bench('rot1000', 'fastmeter', fmAddRot, otelSum(fm, 'c_rot', rot)),
    bench('rot1000', 'sdk-metrics', sdkAddRot, otelSum(sdk, 'c_rot', rot)),
    bench('rot1000', 'prom-client', promIncRot, promSum(promRot, rot)),
  ];
}
