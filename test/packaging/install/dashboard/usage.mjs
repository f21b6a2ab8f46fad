// @fastmeter/dashboard as an installed application uses it (README "Usage"), as ES modules:
// an OTLP/HTTP receiver feeding a ring, alert rules with a webhook-free callback, and the
// dashboard page, all on 127.0.0.1 port 0.
import assert from 'node:assert/strict';
import { AlertEngine, OtlpMetricsReceiver, serveDashboard, startOtlpReceiver } from '@fastmeter/dashboard';

const ingested = [];
const ring = { ingest: rm => ingested.push(rm) };
const receiver = await startOtlpReceiver({ ring, port: 0 });
const body = {
  resourceMetrics: [
    {
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'checkout' } }] },
      scopeMetrics: [
        { scope: { name: 'app' }, metrics: [{ name: 'queue.depth', gauge: { dataPoints: [{ timeUnixNano: '1700000000000000000', asInt: '7' }] } }] },
      ],
    },
  ],
};
const res = await fetch(receiver.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
assert.equal(res.status, 200);
assert.equal(ingested.length, 1);
assert.deepEqual(ingested[0].resource.attributes, { 'service.name': 'checkout' });
assert.equal(ingested[0].scopeMetrics[0].metrics[0].dataPoints[0].value, 7);
assert.ok(new OtlpMetricsReceiver({ ring }).maxBodyBytes > 0);
await receiver.close();

const source = {
  async instant() {
    return [{ labels: { queue: 'a' }, value: 7 }];
  },
  async range(_expr, start, end, step) {
    const timestamps = [];
    for (let t = start; t <= end; t += step) timestamps.push(t);
    return [{ labels: { queue: 'a' }, timestamps, values: timestamps.map(() => 7) }];
  },
  async metrics() {
    return [{ name: 'queue.depth', description: '', unit: '', kind: 'gauge', meter: 'app', series: [{ queue: 'a' }] }];
  },
};
const fired = [];
const alerts = new AlertEngine({ source, groupWait: 0, notifiers: [n => fired.push(n)], rules: [{ name: 'QueueBacklog', expr: 'queue.depth > 5' }] });
await alerts.evaluate();
assert.equal(fired.length, 1);
assert.equal(fired[0].status, 'firing');

const dashboard = await serveDashboard({ source, alerts, port: 0, log: null });
const page = await fetch(dashboard.url);
assert.equal(page.status, 200);
assert.match(await page.text(), /<title>/);
const uplot = await fetch(new URL('vendor/uPlot.iife.min.js', dashboard.url));
assert.equal(uplot.status, 200);
const answer = await (await fetch(new URL('api/query?query=queue.depth', dashboard.url))).json();
assert.deepEqual(answer.data.result[0].metric, { queue: 'a' });
await dashboard.close();
console.log('dashboard usage.mjs: ok');
