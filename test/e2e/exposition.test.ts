// The Prometheus exposition of FastMeterProvider behind the standard
// PrometheusExporter, judged by third-party parsers:
// - `promtool check metrics` (Debian's prometheus package: the classic text
//   format 0.0.4 parser plus Prometheus' lint rules);
// - prometheus_client's parsers (Debian's python3-prometheus-client): the classic
//   text parser, and the strict OpenMetrics parser for any OpenMetrics answer;
// - content negotiation: what each exporter line answers to Prometheus'
//   OpenMetrics Accept header, recorded as a test annotation.
// Two subjects: examples/http-service after a known request mix, and an
// in-process provider with the corners of naming, escaping, value ranges and
// fastmeter's cardinality overflow series.
import { once } from 'node:events';
import { type Server, createServer } from 'node:http';
import { ValueType } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { FastMeterProvider } from '@fastmeter/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Family, duplicateSeries, labelKey, parseExposition } from './helpers/exposition.js';
import { installedPackage, needPeers, peers } from './helpers/peers.js';
import { fetchWithTimeout, run } from './helpers/proc.js';
import { type Service, sendMix, settle, startService } from './helpers/service.js';

const p = peers();

/** The Accept header Prometheus 2.42 sends when it scrapes (captured, real-peers.md §2). */
const PROMETHEUS_ACCEPT =
  'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';
const CLASSIC_ACCEPT = 'text/plain;version=0.0.4;q=1,*/*;q=0.1';

/**
 * What each exporter-prometheus version answers to that header, as observed:
 * neither line implements OpenMetrics, both answer the classic text format with
 * `Content-Type: text/plain` (no version parameter), which Prometheus parses
 * with its classic parser. A version not listed here is accepted either way and
 * its answer is recorded in the annotation.
 */
const NEGOTIATION: Record<string, string> = {
  '0.223.0': 'text/plain',
  '0.301.0': 'text/plain',
};

/** prometheus_client's parsers, classic or OpenMetrics (strict), as JSON; values as repr() strings. */
const PY_PARSE = `
import json, sys
mode = sys.argv[1]
if mode == "openmetrics":
    from prometheus_client.openmetrics.parser import text_string_to_metric_families
else:
    from prometheus_client.parser import text_string_to_metric_families
out = []
try:
    for f in text_string_to_metric_families(sys.stdin.read()):
        out.append({"name": f.name, "type": f.type, "unit": getattr(f, "unit", ""), "help": f.documentation,
                    "samples": [[s.name, s.labels, repr(float(s.value))] for s in f.samples]})
except Exception as e:
    sys.stderr.write("%s: %s\\n" % (type(e).__name__, e))
    sys.exit(3)
json.dump(out, sys.stdout)
`;

interface PyFamily {
  name: string;
  type: string;
  unit: string;
  help: string;
  samples: [string, Record<string, string>, string][];
}

async function pythonParse(mode: 'classic' | 'openmetrics', text: string): Promise<PyFamily[]> {
  const r = await run(p.openMetricsParser.path!, ['-c', PY_PARSE, mode], { input: text, timeoutMs: 15_000 });
  if (r.code !== 0) throw new Error(`prometheus_client ${mode} parser rejected the exposition: ${r.stderr.trim()}`);
  return JSON.parse(r.stdout);
}

const pyNumber = (repr: string) => (repr === 'inf' ? Infinity : repr === '-inf' ? -Infinity : repr === 'nan' ? Number.NaN : Number(repr));

/** Every sample as `name{labels}` → value, from our reader and from prometheus_client's. */
function samplesOf(families: Map<string, Family>): Map<string, number> {
  const out = new Map<string, number>();
  for (const f of families.values()) for (const s of f.samples) out.set(`${s.name}${labelKey(s.labels)}`, s.value);
  return out;
}
function pySamplesOf(families: PyFamily[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const f of families) for (const [name, labels, value] of f.samples) out.set(`${name}${labelKey(labels)}`, pyNumber(value));
  return out;
}

/**
 * `promtool check metrics` on the text: exit code (0 clean, 1 parse error, 3 lint
 * findings) and what it printed, one finding per line (promtool 2.42 prints lint
 * findings on stderr, not stdout as real-peers.md §3 says).
 */
async function promtool(text: string): Promise<{ code: number | null; findings: string[] }> {
  const r = await run(p.promtool.path!, ['check', 'metrics'], { input: text, timeoutMs: 15_000 });
  return { code: r.code, findings: `${r.stdout}\n${r.stderr}`.split('\n').filter(l => l.trim() !== '') };
}

// ---- subject B: an in-process provider with the corners ---------------------------------

async function startInProcess(): Promise<{ url: string; provider: FastMeterProvider; server: Server }> {
  const exporter = new PrometheusExporter({ preventServerStart: true });
  const provider = new FastMeterProvider({
    resource: resourceFromAttributes({ 'service.name': 'exposition "corners"', 'service.instance.id': 'i-1\\x' }),
    views: [{ instrumentName: 'corners.limited', aggregationCardinalityLimit: 3 }],
    readers: [exporter],
  });
  const meter = provider.getMeter('corners', '0.0.1', { schemaUrl: 'https://opentelemetry.io/schemas/1.26.0' });
  const other = provider.getMeter('corners.other');

  const escapes = meter.createCounter('corners.escapes', { description: 'Label values with "quotes", \\backslashes\\ and\na newline.' });
  escapes.add(1, { value: 'say "hi"' });
  escapes.add(2, { value: 'C:\\path\\' });
  escapes.add(3, { value: 'two\nlines' });
  escapes.add(4, { value: 'Zürich ☃' });
  escapes.add(5, { value: '' });
  escapes.add(6, { 'dotted.key-with/slash': 'k', list: ['a', 'b'], flag: true, n: 3 });

  const total = meter.createCounter('corners.already_total', { valueType: ValueType.INT });
  total.add(7);
  const odd = meter.createUpDownCounter('corners.odd-name/with.slash', { unit: 'm/s' });
  odd.add(-2.5, { dir: 'down' });
  odd.add(1e21, { dir: 'huge' });
  const gauge = meter.createGauge('corners.tiny');
  gauge.record(1e-9);
  gauge.record(-1.25, { sign: 'negative' });
  const hist = meter.createHistogram('corners.size', { unit: 'By', advice: { explicitBucketBoundaries: [0, 1.5, 1e3] } });
  for (const v of [0, 1, 1.5, 2, 5000]) hist.record(v, { kind: 'a' });
  hist.record(Number.NaN, { kind: 'a' }); // dropped by fastmeter
  const limited = meter.createCounter('corners.limited');
  for (const s of ['a', 'b', 'c', 'd', 'e']) limited.add(1, { s });
  other.createObservableGauge('corners.observed').addCallback(r => {
    r.observe(1, { phase: 'x' });
    r.observe(2, { phase: 'y' });
  });
  other.createObservableCounter('corners.polled.total').addCallback(r => r.observe(12.5));

  const server = createServer((req, res) => exporter.getMetricsRequestHandler(req, res));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address !== 'object') throw new Error('no address');
  return { url: `http://127.0.0.1:${address.port}/metrics`, provider, server };
}

interface Subject {
  label: string;
  url: string;
  exporterVersion: string;
}

describe('the exposition, judged by promtool and prometheus_client', () => {
  let service: Service | undefined;
  let inProcess: Awaited<ReturnType<typeof startInProcess>> | undefined;
  const subjects: Subject[] = [];

  beforeAll(async () => {
    service = await startService();
    await sendMix(service.base);
    await settle();
    inProcess = await startInProcess();
    subjects.push(
      {
        label: 'examples/http-service',
        url: service.metricsUrl,
        // The service's PrometheusExporter is the one @fastmeter/node loads (its register entry builds the readers).
        exporterVersion: installedPackage('@opentelemetry/exporter-prometheus', new URL('../../packages/node/package.json', import.meta.url).href).version,
      },
      { label: 'in-process corners', url: inProcess.url, exporterVersion: installedPackage('@opentelemetry/exporter-prometheus').version },
    );
  }, 30_000);

  afterAll(async () => {
    await service?.daemon.stop();
    if (inProcess) {
      await inProcess.provider.shutdown();
      inProcess.server.closeAllConnections();
      await new Promise(resolve => inProcess!.server.close(resolve));
    }
  });

  const scrape = async (s: Subject, accept = CLASSIC_ACCEPT) => {
    const res = await fetchWithTimeout(s.url, { headers: { accept: accept } });
    expect(res.status).toBe(200);
    return { contentType: res.headers.get('content-type') ?? '', text: await res.text() };
  };

  it.for([0, 1])('promtool check metrics passes on the text format 0.0.4, with no lint finding (subject %i)', async (index, ctx) => {
    needPeers(ctx, p.promtool);
    const subject = subjects[index];
    const { text } = await scrape(subject);
    const result = await promtool(text);
    // Exit 0 and no findings: in particular no "counter metrics should have "_total" suffix",
    // no "no help text" (the exporter writes "description missing"), no camelCase, no
    // non-base units. Exit 3 with findings would fail here with the list.
    expect({ subject: subject.label, ...result }).toEqual({ subject: subject.label, code: 0, findings: [] });
  });

  it('promtool is a real judge: it rejects a broken exposition and reports lint findings', async ctx => {
    needPeers(ctx, p.promtool);
    const broken = await promtool('# TYPE a counter\na{x="1} 1\n');
    expect(broken).toMatchObject({ code: 1, findings: [expect.stringContaining('text format parsing error')] });
    const lint = await promtool('# HELP requests Requests.\n# TYPE requests counter\nrequests 1\n');
    expect(lint).toMatchObject({ code: 3, findings: [expect.stringContaining('counter metrics should have "_total" suffix')] });
  });

  it.for([0, 1])('prometheus_client reads the same families and samples as the exposition holds (subject %i)', async (index, ctx) => {
    needPeers(ctx, p.openMetricsParser);
    const { text } = await scrape(subjects[index]);
    const ours = parseExposition(text);
    expect(duplicateSeries(ours)).toEqual([]);
    const theirs = await pythonParse('classic', text);
    const a = samplesOf(ours);
    const b = pySamplesOf(theirs);
    expect(b.size).toBe(a.size);
    expect(Object.fromEntries(b)).toEqual(Object.fromEntries(a));
    // Families and types agree (prometheus_client names a counter family without "_total").
    const types = (fs: [string, string][]) => Object.fromEntries(fs.map(([n, t]) => [n.replace(/_total$/, ''), t]));
    expect(types(theirs.map(f => [f.name, f.type]))).toEqual(types([...ours.values()].map(f => [f.name, f.type])));
  });

  it('carries the corners through: escaped labels and help, odd names, extreme values, the overflow series, no NaN', async ctx => {
    needPeers(ctx, p.openMetricsParser);
    const { text } = await scrape(subjects[1]);
    const families = parseExposition(text);
    const theirs = await pythonParse('classic', text);
    const py = Object.fromEntries(theirs.map(f => [f.name, f]));
    // prometheus_client unescapes the label values back to what was recorded.
    const escapes = py.corners_escapes.samples.map(([, labels, v]) => [labels.value ?? labels.dotted_key_with_slash, pyNumber(v)]);
    expect(escapes.sort((x, y) => (x[1] as number) - (y[1] as number))).toEqual([
      ['say "hi"', 1],
      ['C:\\path\\', 2],
      ['two\nlines', 3],
      ['Zürich ☃', 4],
      ['', 5],
      ['k', 6],
    ]);
    expect(py.corners_escapes.help).toBe('Label values with "quotes", \\backslashes\\ and\na newline.');
    expect(py.corners_escapes.samples.find(([, l]) => l.dotted_key_with_slash)![1]).toMatchObject({ list: '["a","b"]', flag: 'true', n: '3' });
    // Names: sanitized once, "_total" not doubled.
    expect([...families.keys()]).toEqual(expect.arrayContaining(['corners_already_total', 'corners_odd_name_with_slash', 'corners_polled_total']));
    expect([...families.keys()].filter(n => n.includes('total_total'))).toEqual([]);
    expect(Object.fromEntries(families.get('corners_odd_name_with_slash')!.samples.map(s => [s.labels.dir, s.value]))).toEqual({ down: -2.5, huge: 1e21 });
    expect(families.get('corners_tiny')!.samples.map(s => s.value)).toEqual(expect.arrayContaining([1e-9, -1.25]));
    // Histogram: NaN was dropped, not counted; buckets on the given bounds.
    const size = families.get('corners_size')!;
    expect(size.samples.filter(s => s.name === 'corners_size_bucket').map(s => [s.labels.le, s.value])).toEqual([
      ['0', 1],
      ['1.5', 3],
      ['1000', 4],
      ['+Inf', 5],
    ]);
    expect(size.samples.find(s => s.name === 'corners_size_sum')!.value).toBe(5004.5);
    // The cardinality limit of 3: two series as recorded, the rest in the overflow series.
    const limited = families.get('corners_limited_total')!.samples;
    expect(limited.map(s => [s.labels.s ?? `overflow=${s.labels.otel_metric_overflow}`, s.value]).sort()).toEqual([
      ['a', 1],
      ['b', 1],
      ['overflow=true', 3],
    ]);
    expect(text).not.toMatch(/\bNaN\b/);
  });

  it.for([0, 1])("answers Prometheus' OpenMetrics Accept header as documented for its exporter version (subject %i)", async (index, ctx) => {
    const subject = subjects[index];
    const { contentType, text } = await scrape(subject, PROMETHEUS_ACCEPT);
    const mediaType = contentType.split(';')[0].trim();
    await ctx.annotate(
      `exporter-prometheus ${subject.exporterVersion} (${subject.label}) answered the OpenMetrics Accept header with Content-Type: ${contentType}`,
      'negotiation',
    );
    const documented = NEGOTIATION[subject.exporterVersion];
    if (documented !== undefined) expect(mediaType).toBe(documented);
    else expect(['text/plain', 'application/openmetrics-text']).toContain(mediaType);

    needPeers(ctx, p.openMetricsParser);
    if (mediaType === 'application/openmetrics-text') {
      // An OpenMetrics answer must pass the strict parser, with the families of the classic answer.
      const om = await pythonParse('openmetrics', text);
      const classic = parseExposition((await scrape(subject)).text);
      expect(om.map(f => f.name).sort()).toEqual([...classic.keys()].map(n => n.replace(/_total$/, '')).sort());
    } else {
      // A classic answer is labelled as such: it is not OpenMetrics (the strict
      // parser refuses it), and it is the same text as the classic request gets.
      expect(text).not.toMatch(/^# EOF$/m);
      await expect(pythonParse('openmetrics', text)).rejects.toThrow(/rejected/);
      const classic = (await scrape(subject)).text;
      expect(samplesOf(parseExposition(text)).size).toBe(samplesOf(parseExposition(classic)).size);
    }
  });
});
