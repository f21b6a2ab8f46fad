// A real PrometheusExporter on a loopback port, a scrape with a bounded wait,
// and a parser for the text exposition format that keeps every line's meaning
// (HELP, TYPE, UNIT, labels, value) so tests can assert exact values.
import { once } from 'node:events';
import { createServer } from 'node:net';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { withTimeout } from './util.js';

/** A port that was free a moment ago (the exporter treats port 0 as "use the default 9464"). */
async function freePort(): Promise<number> {
  const probe = createServer();
  probe.listen(0, '127.0.0.1');
  await withTimeout(once(probe, 'listening'), 5000, 'free port probe');
  const address = probe.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  await new Promise<void>(resolve => probe.close(() => resolve()));
  return port;
}

export interface RunningExporter {
  exporter: PrometheusExporter;
  url: string;
}

/** A PrometheusExporter serving its own HTTP server on 127.0.0.1 (retries if another process takes the port first). */
export async function startPrometheusExporter(): Promise<RunningExporter> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const exporter = new PrometheusExporter({ host: '127.0.0.1', port, preventServerStart: true });
    try {
      await withTimeout(exporter.startServer(), 5000, 'PrometheusExporter.startServer');
      return { exporter, url: `http://127.0.0.1:${port}/metrics` };
    } catch (err) {
      lastError = err;
      await exporter.stopServer();
    }
  }
  throw lastError;
}

export async function scrape(url: string): Promise<string> {
  const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
  if (response.status !== 200) throw new Error(`GET ${url}: HTTP ${response.status}`);
  const text = await response.text();
  if (text.startsWith('# failed to export metrics')) throw new Error(text);
  return text;
}

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  help?: string;
  type?: string;
  unit?: string;
  samples: Sample[];
}

/** Parses one `name{a="x",b="y"} value` line, unescaping label values (\\, \", \n). */
function parseSample(line: string): Sample {
  const brace = line.indexOf('{');
  const space = line.indexOf(' ');
  if (brace === -1 || brace > space) {
    const [name, value, ...rest] = line.split(' ');
    if (rest.length > 0) throw new Error(`unexpected timestamp or extra field: ${line}`);
    return { name, labels: {}, value: parseValue(value) };
  }
  const name = line.slice(0, brace);
  const labels: Record<string, string> = {};
  let i = brace + 1;
  while (line[i] !== '}') {
    const eq = line.indexOf('="', i);
    if (eq === -1) throw new Error(`bad label set: ${line}`);
    const key = line.slice(i, eq);
    let value = '';
    i = eq + 2;
    for (; line[i] !== '"'; i++) {
      if (i >= line.length) throw new Error(`unterminated label value: ${line}`);
      if (line[i] === '\\') {
        i++;
        value += line[i] === 'n' ? '\n' : line[i];
      } else {
        value += line[i];
      }
    }
    if (key in labels) throw new Error(`duplicate label ${key}: ${line}`);
    labels[key] = value;
    i++;
    if (line[i] === ',') i++;
  }
  const rest = line
    .slice(i + 1)
    .trim()
    .split(' ');
  if (rest.length !== 1) throw new Error(`unexpected timestamp or extra field: ${line}`);
  return { name, labels, value: parseValue(rest[0]) };
}

function parseValue(text: string): number {
  if (text === '+Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  const n = Number(text);
  if (text === '' || (Number.isNaN(n) && text !== 'NaN')) throw new Error(`bad sample value ${JSON.stringify(text)}`);
  return n;
}

const SUFFIXES = ['_bucket', '_count', '_sum'];

/**
 * Metric families by name. Samples are attached to the family declared by the
 * last `# TYPE`, and must carry its name (plus `_bucket`/`_count`/`_sum` for
 * histograms); a TYPE repeated for one name is an error, as in Prometheus.
 */
export function parseExposition(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  let current: { name: string; family: Family } | undefined;
  const family = (name: string) => {
    let f = families.get(name);
    if (f === undefined) families.set(name, (f = { samples: [] }));
    return f;
  };
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const meta = /^# (HELP|TYPE|UNIT) (\S+) ?(.*)$/.exec(line);
    if (meta !== null) {
      const [, kind, name, rest] = meta;
      const f = family(name);
      if (kind === 'HELP') f.help = rest;
      if (kind === 'UNIT') f.unit = rest;
      if (kind === 'TYPE') {
        if (f.type !== undefined) throw new Error(`second TYPE line for ${name}`);
        f.type = rest;
      }
      current = { name, family: f };
      continue;
    }
    if (line.startsWith('#')) continue;
    const sample = parseSample(line);
    const base = current?.name;
    const ok = base !== undefined && (sample.name === base || (current?.family.type === 'histogram' && SUFFIXES.some(s => sample.name === base + s)));
    if (!ok || current === undefined) throw new Error(`sample outside its family (after ${base}): ${line}`);
    current.family.samples.push(sample);
  }
  return families;
}

/** The value of the one sample with exactly these labels; throws if there is none or more than one. */
export function sampleValue(families: Map<string, Family>, sampleName: string, labels: Record<string, string>): number {
  const familyName = sampleName.replace(/_(bucket|count|sum)$/, '');
  const f = families.get(sampleName) ?? families.get(familyName);
  if (f === undefined) throw new Error(`no family for ${sampleName}`);
  const want = JSON.stringify(Object.entries(labels).sort());
  const hits = f.samples.filter(s => s.name === sampleName && JSON.stringify(Object.entries(s.labels).sort()) === want);
  if (hits.length !== 1) throw new Error(`${hits.length} samples ${sampleName}${want}; have ${JSON.stringify(f.samples)}`);
  return hits[0].value;
}

/** Label sets of a family's samples named `sampleName`, sorted, for "exactly these series" assertions. */
export function seriesOf(families: Map<string, Family>, sampleName: string): Record<string, string>[] {
  const familyName = sampleName.replace(/_(bucket|count|sum)$/, '');
  const f = families.get(sampleName) ?? families.get(familyName);
  return (f?.samples ?? [])
    .filter(s => s.name === sampleName)
    .map(s => s.labels)
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}
