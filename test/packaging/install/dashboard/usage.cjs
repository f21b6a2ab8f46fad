// @fastmeter/dashboard from CommonJS: the receiver and the dashboard page (page assets and
// uPlot are found from the CommonJS build too), on 127.0.0.1 port 0.
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const { serveDashboard, startOtlpReceiver, parseDuration } = require('@fastmeter/dashboard');

(async () => {
  const ingested = [];
  const receiver = await startOtlpReceiver({ ring: { ingest: rm => ingested.push(rm) }, port: 0 });
  const bad = await fetch(receiver.url, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: Buffer.from([0x0a, 0xff]) });
  assert.equal(bad.status, 400);
  await receiver.close();

  const source = { instant: async () => [], range: async () => [], metrics: async () => [] };
  const dashboard = await serveDashboard({ source, port: 0, log: null });
  const css = await fetch(new URL('vendor/uPlot.min.css', dashboard.url));
  assert.equal(css.status, 200);
  await dashboard.close();
  assert.equal(parseDuration('4h', 'repeat'), 14_400_000);

  // The `fastmeter` bin.
  const help = execFileSync(process.execPath, [require.resolve('@fastmeter/dashboard/package.json').replace(/package\.json$/, 'bin/fastmeter.cjs'), '--help'], {
    encoding: 'utf8',
  });
  assert.match(help, /fastmeter dashboard/);
  console.log('dashboard usage.cjs: ok');
})().catch(err => {
  console.error(err);
  process.exit(1);
});
