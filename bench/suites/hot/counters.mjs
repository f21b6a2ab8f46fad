// Counter benches: no attributes, bound handle, fresh literals with 1 / 3 / 5 attributes, a reused
// attributes object, and two readers. One function per (case, implementation): the code is
// repeated on purpose, since closures made by one factory would share type feedback.
import { L1, L3, L5, LABELS3, LABELS5 } from '../../lib/fixtures.mjs';
import { bench, notAvailable, otelSum, promSum } from './defs.mjs';

let fmC0, sdkC0, promC0, fmBound, promChild, fmC1, sdkC1, promC1, fmC3, sdkC3, promC3, fmC5, sdkC5, promC5;
let fmRe, sdkRe, promRe, fmReAttrs, sdkReAttrs, promReAttrs, fm2C3, sdk2C3;
let fmFr, sdkFr, promFr, fmFrAttrs, sdkFrAttrs, promFrAttrs;

function fmAdd0(n) {
  const c = fmC0;
  for (let i = 0; i < n; i++) c.add(1);
  return n;
}
function sdkAdd0(n) {
  const c = sdkC0;
  for (let i = 0; i < n; i++) c.add(1);
  return n;
}
function promInc0(n) {
  const c = promC0;
  for (let i = 0; i < n; i++) c.inc();
  return n;
}

function fmBoundAdd(n) {
  const h = fmBound;
  for (let i = 0; i < n; i++) h.add(1);
  return n;
}
function promChildInc(n) {
  const h = promChild;
  for (let i = 0; i < n; i++) h.inc();
  return n;
}

function fmAdd1(n) {
  const c = fmC1;
  for (let i = 0; i < n; i++) c.add(1, { method: L1[i & 1] });
  return n;
}
function sdkAdd1(n) {
  const c = sdkC1;
  for (let i = 0; i < n; i++) c.add(1, { method: L1[i & 1] });
  return n;
}
function promInc1(n) {
  const c = promC1;
  for (let i = 0; i < n; i++) c.inc({ method: L1[i & 1] });
  return n;
}

function fmAdd3(n) {
  const c = fmC3;
  for (let i = 0; i < n; i++) {
    const o = (i & 1) * 3;
    c.add(1, { method: L3[o], route: L3[o + 1], status: L3[o + 2] });
  }
  return n;
}
function sdkAdd3(n) {
  const c = sdkC3;
  for (let i = 0; i < n; i++) {
    const o = (i & 1) * 3;
    c.add(1, { method: L3[o], route: L3[o + 1], status: L3[o + 2] });
  }
  return n;
}
function promInc3(n) {
  const c = promC3;
  for (let i = 0; i < n; i++) {
    const o = (i & 1) * 3;
    c.inc({ method: L3[o], route: L3[o + 1], status: L3[o + 2] });
  }
  return n;
}

function fmAdd5(n) {
  const c = fmC5;
  for (let i = 0; i < n; i++) {
    const o = (i & 1) * 5;
    c.add(1, { method: L5[o], route: L5[o + 1], status: L5[o + 2], region: L5[o + 3], tenant: L5[o + 4] });
  }
  return n;
}
function sdkAdd5(n) {
  const c = sdkC5;
  for (let i = 0; i < n; i++) {
    const o = (i & 1) * 5;
    c.add(1, { method: L5[o], route: L5[o + 1], status: L5[o + 2], region: L5[o + 3], tenant: L5[o + 4] });
  }
  return n;
}
function promInc5(n) {
  const c = promC5;
  for (let i = 0; i < n; i++) {
    const o = (i & 1) * 5;
    c.inc({ method: L5[o], route: L5[o + 1], status: L5[o + 2], region: L5[o + 3], tenant: L5[o + 4] });
  }
  return n;
}

function fmAddReused(n) {
  const c = fmRe;
  const a = fmReAttrs;
  for (let i = 0; i < n; i++) c.add(1, a);
  return n;
}
function sdkAddReused(n) {
  const c = sdkRe;
  const a = sdkReAttrs;
  for (let i = 0; i < n; i++) c.add(1, a);
  return n;
}
function promIncReused(n) {
  const c = promRe;
  const a = promReAttrs;
  for (let i = 0; i < n; i++) c.inc(a);
  return n;
}

// The same frozen object each call: fastmeter's identity fast path (a frozen object cannot have
// changed since the last call, so its series is found by a pointer compare).
function fmAddFrozen(n) {
  const c = fmFr;
  const a = fmFrAttrs;
  for (let i = 0; i < n; i++) c.add(1, a);
  return n;
}
function sdkAddFrozen(n) {
  const c = sdkFr;
  const a = sdkFrAttrs;
  for (let i = 0; i < n; i++) c.add(1, a);
  return n;
}
function promIncFrozen(n) {
  const c = promFr;
  const a = promFrAttrs;
  for (let i = 0; i < n; i++) c.inc(a);
  return n;
}

function fm2Add3(n) {
  const c = fm2C3;
  for (let i = 0; i < n; i++) {
    const o = (i & 1) * 3;
    c.add(1, { method: L3[o], route: L3[o + 1], status: L3[o + 2] });
  }
  return n;
}
function sdk2Add3(n) {
  const c = sdk2C3;
  for (let i = 0; i < n; i++) {
    const o = (i & 1) * 3;
    c.add(1, { method: L3[o], route: L3[o + 1], status: L3[o + 2] });
  }
  return n;
}

export function counterBenches(ctx) {
  const { fm, sdk, fm2, sdk2 } = ctx;
  const { prom, registry } = ctx.prom;
  const pc = (name, labelNames = []) => new prom.Counter({ name, help: name, labelNames, registers: [registry] });
  const attrs3 = () => ({ method: L3[0], route: L3[1], status: L3[2] });

  fmC0 = fm.meter.createCounter('c0');
  sdkC0 = sdk.meter.createCounter('c0');
  promC0 = pc('c0');
  const fmCb = fm.meter.createCounter('c_bound');
  fmBound = ctx.bind ? ctx.bind(fmCb, attrs3()) : null;
  const promCb = pc('c_bound', LABELS3);
  promChild = promCb.labels(L3[0], L3[1], L3[2]);
  fmC1 = fm.meter.createCounter('c1');
  sdkC1 = sdk.meter.createCounter('c1');
  promC1 = pc('c1', ['method']);
  fmC3 = fm.meter.createCounter('c3');
  sdkC3 = sdk.meter.createCounter('c3');
  promC3 = pc('c3', LABELS3);
  fmC5 = fm.meter.createCounter('c5');
  sdkC5 = sdk.meter.createCounter('c5');
  promC5 = pc('c5', LABELS5);
  fmRe = fm.meter.createCounter('c_reused');
  sdkRe = sdk.meter.createCounter('c_reused');
  promRe = pc('c_reused', LABELS3);
  fmReAttrs = attrs3();
  sdkReAttrs = attrs3();
  promReAttrs = attrs3();
  fmFr = fm.meter.createCounter('c_frozen');
  sdkFr = sdk.meter.createCounter('c_frozen');
  promFr = pc('c_frozen', LABELS3);
  fmFrAttrs = Object.freeze(attrs3());
  sdkFrAttrs = Object.freeze(attrs3());
  promFrAttrs = Object.freeze(attrs3());
  fm2C3 = fm2.meter.createCounter('c3');
  sdk2C3 = sdk2.meter.createCounter('c3');

  return [
    bench('c0', 'fastmeter', fmAdd0, otelSum(fm, 'c0')),
    bench('c0', 'sdk-metrics', sdkAdd0, otelSum(sdk, 'c0')),
    bench('c0', 'prom-client', promInc0, promSum(promC0)),
    fmBound ? bench('bound', 'fastmeter', fmBoundAdd, otelSum(fm, 'c_bound')) : notAvailable('bound', 'fastmeter', 'n/a (bind not exported)'),
    bench('bound', 'prom-client', promChildInc, promSum(promCb)),
    bench('c1', 'fastmeter', fmAdd1, otelSum(fm, 'c1')),
    bench('c1', 'sdk-metrics', sdkAdd1, otelSum(sdk, 'c1')),
    bench('c1', 'prom-client', promInc1, promSum(promC1)),
    bench('c3', 'fastmeter', fmAdd3, otelSum(fm, 'c3')),
    bench('c3', 'sdk-metrics', sdkAdd3, otelSum(sdk, 'c3')),
    bench('c3', 'prom-client', promInc3, promSum(promC3)),
    bench('c5', 'fastmeter', fmAdd5, otelSum(fm, 'c5')),
    bench('c5', 'sdk-metrics', sdkAdd5, otelSum(sdk, 'c5')),
    bench('c5', 'prom-client', promInc5, promSum(promC5)),
    bench('reused', 'fastmeter', fmAddReused, otelSum(fm, 'c_reused')),
    bench('reused', 'sdk-metrics', sdkAddReused, otelSum(sdk, 'c_reused')),
    bench('reused', 'prom-client', promIncReused, promSum(promRe)),
    bench('frozen', 'fastmeter', fmAddFrozen, otelSum(fm, 'c_frozen')),
    bench('frozen', 'sdk-metrics', sdkAddFrozen, otelSum(sdk, 'c_frozen')),
    bench('frozen', 'prom-client', promIncFrozen, promSum(promFr)),
    // Both readers must see every record: the cumulative one and the delta one.
    bench('c3-2readers', 'fastmeter', fm2Add3, async b => {
      const [a, d] = await Promise.all([otelSum(fm2, 'c3')(b), otelSum(fm2, 'c3', { reader: 1 })(b)]);
      return a.ok ? { ...d, detail: `cumulative ${a.detail}; delta ${d.detail}` } : a;
    }),
    bench('c3-2readers', 'sdk-metrics', sdk2Add3, async b => {
      const [a, d] = await Promise.all([otelSum(sdk2, 'c3')(b), otelSum(sdk2, 'c3', { reader: 1 })(b)]);
      return a.ok ? { ...d, detail: `cumulative ${a.detail}; delta ${d.detail}` } : a;
    }),
  ];
}
