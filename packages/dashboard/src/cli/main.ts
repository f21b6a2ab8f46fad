// `fastmeter`: the command line of @fastmeter/dashboard.
//   fastmeter dashboard   OTLP receiver + ring + dashboard (+ alerts) as a local backend
//   fastmeter query       a query's answer from a running dashboard
//   fastmeter alerts      the alerts of a running dashboard
import { parseArgs } from 'node:util';
import { parseDuration } from '../common/duration.js';
import { VERSION } from '../version.js';
import { type BackendConfig, loadConfig } from './config.js';

type Out = (text: string) => void;

const HELP: Record<string, string> = {
  main: `fastmeter ${VERSION}: a live view of OpenTelemetry metrics

Usage:
  fastmeter dashboard [options]        run an OTLP/HTTP receiver, a ring and the dashboard
  fastmeter query '<expr>' [options]   print a query's answer from a running dashboard
  fastmeter alerts [options]           print the alerts of a running dashboard
  fastmeter <command> --help           options of a command
  fastmeter --version

Example:
  npx fastmeter dashboard
  OTEL_EXPORTER_OTLP_METRICS_ENDPOINT=http://127.0.0.1:4318/v1/metrics node app.js
  fastmeter query 'sum by (http.route) (rate(http.server.request.duration[1m]))'
`,
  dashboard: `Usage: fastmeter dashboard [options]

Runs, in one process, a local backend for any number of processes that push OTLP:
an OTLP/HTTP metrics receiver (POST /v1/metrics, protobuf or JSON) feeding a ring
of recent history, the dashboard page on top of it, and alert rules.

Options:
  --port <n>          OTLP/HTTP receiver port (default 4318; 0 = any free port)
  --ui-port <n>       dashboard port (default 9470; 0 = any free port)
  --host <addr>       address of both (default 127.0.0.1); any other address needs --token
  --token <t>         token required by the dashboard (Authorization: Bearer, or ?token=);
                      default from FASTMETER_DASHBOARD_TOKEN
  --config <file>     YAML/JSON file: receiver, dashboard, ring and alerts sections
  --slots <n>         points kept per series (default 300: 5 minutes at 1 s)
  --max-body <bytes>  largest OTLP request body (default 20 MiB)
  --title <text>      the page's title
  --quiet             no progress lines
  -h, --help
`,
  query: `Usage: fastmeter query '<expr>' [options]

Prints the answer of a query (the ring's PromQL-like language) from a running
\`fastmeter dashboard\` (or any serveDashboard()).

Options:
  --url <url>        the dashboard (default http://127.0.0.1:9470)
  --token <t>        its token (default FASTMETER_DASHBOARD_TOKEN)
  --range <dur>      a range query over the last <dur> (e.g. 5m) instead of an instant one
  --step <dur>       the range query's step (default 15s)
  --time <unix s>    evaluation time of an instant query (default now)
  --json             print the API's JSON answer
  -h, --help
`,
  alerts: `Usage: fastmeter alerts [options]

Prints the pending and firing alerts, the rules and the last notifications of a
running dashboard.

Options:
  --url <url>        the dashboard (default http://127.0.0.1:9470)
  --token <t>        its token (default FASTMETER_DASHBOARD_TOKEN)
  --json             print the API's JSON answer
  -h, --help
`,
};

/** Runs the CLI; resolves to the exit code. */
export async function main(argv: string[], out: Out = t => process.stdout.write(t), err: Out = t => process.stderr.write(t)): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
    out(HELP.main);
    return command === undefined ? 2 : 0;
  }
  if (command === '--version' || command === '-v') {
    out(`${VERSION}\n`);
    return 0;
  }
  if (!(command in HELP) || command === 'main') {
    err(`fastmeter: unknown command "${command}"\n\n${HELP.main}`);
    return 2;
  }
  if (rest.includes('-h') || rest.includes('--help')) {
    out(HELP[command]);
    return 0;
  }
  try {
    if (command === 'dashboard') return await dashboard(rest, out, err);
    if (command === 'query') return await query(rest, out, err);
    return await alerts(rest, out, err);
  } catch (e) {
    err(`fastmeter ${command}: ${(e as Error)?.message ?? String(e)}\n`);
    return (e as { code?: string })?.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || (e as { code?: string })?.code?.startsWith?.('ERR_PARSE_ARGS') ? 2 : 1;
  }
}

function int(value: string | undefined, what: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${what} must be a non-negative integer, got ${JSON.stringify(value)}`);
  return n;
}

async function dashboard(argv: string[], out: Out, err: Out): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      'ui-port': { type: 'string' },
      host: { type: 'string' },
      token: { type: 'string' },
      config: { type: 'string' },
      slots: { type: 'string' },
      'max-body': { type: 'string' },
      title: { type: 'string' },
      quiet: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const config: BackendConfig = values.config ? await loadConfig(values.config) : {};
  const receiver = config.receiver === false ? false : { ...config.receiver };
  const ui = config.dashboard === false ? false : { ...config.dashboard };
  if (receiver) {
    receiver.port = int(values.port, '--port') ?? receiver.port ?? 4318;
    receiver.host = values.host ?? receiver.host;
    receiver.maxBodyBytes = int(values['max-body'], '--max-body') ?? receiver.maxBodyBytes;
  }
  if (ui) {
    ui.port = int(values['ui-port'], '--ui-port') ?? ui.port;
    ui.host = values.host ?? ui.host;
    ui.token = values.token ?? process.env.FASTMETER_DASHBOARD_TOKEN ?? ui.token;
    ui.title = values.title ?? ui.title;
  }
  const ring = { ...config.ring };
  if (values.slots !== undefined) ring.slots = int(values.slots, '--slots');
  const { startBackend } = await import('../backend.js');
  const backend = await startBackend({ receiver, dashboard: ui, ring, alerts: config.alerts, log: line => out(`${line}\n`) });
  const progress = values.quiet ? undefined : setInterval(() => err(`${backend.status()}\n`), 10_000);
  progress?.unref();
  await new Promise<void>(resolve => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  if (progress) clearInterval(progress);
  err('stopping...\n');
  await backend.close();
  return 0;
}

interface Fetched {
  status: number;
  json: any;
}

/** GET on the dashboard's API; on a terminal, says what it waits for after half a second. */
async function get(base: string, path: string, token: string | undefined, err: Out): Promise<Fetched> {
  const url = new URL(path, base.endsWith('/') ? base : `${base}/`);
  const started = Date.now();
  const tty = process.stderr.isTTY === true;
  const spinner = tty ? setInterval(() => err(`\rwaiting for ${url.origin} (${((Date.now() - started) / 1000).toFixed(1)} s)...`), 500) : undefined;
  try {
    const res = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {}, signal: AbortSignal.timeout(30_000) });
    const text = await res.text();
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {
      json = { status: 'error', error: text.trim() || `HTTP ${res.status}` };
    }
    return { status: res.status, json };
  } catch (e) {
    const cause = (e as { cause?: { code?: string } })?.cause?.code;
    throw new Error(`cannot reach ${url.origin}${cause ? ` (${cause})` : ''}: is \`fastmeter dashboard\` running? (--url)`);
  } finally {
    if (spinner) {
      clearInterval(spinner);
      if (Date.now() - started >= 500) err('\r\x1b[K');
    }
  }
}

function formatLabels(labels: Record<string, string>): string {
  const keys = Object.keys(labels);
  return keys.length === 0 ? '{}' : `{${keys.map(k => `${k}=${JSON.stringify(labels[k])}`).join(', ')}}`;
}

async function query(argv: string[], out: Out, err: Out): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      url: { type: 'string', default: 'http://127.0.0.1:9470' },
      token: { type: 'string' },
      range: { type: 'string' },
      step: { type: 'string', default: '15s' },
      time: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  if (positionals.length !== 1) {
    err(`fastmeter query: give one query expression\n\n${HELP.query}`);
    return 2;
  }
  const [expr] = positionals;
  const token = values.token ?? process.env.FASTMETER_DASHBOARD_TOKEN;
  const params = new URLSearchParams({ query: expr });
  let path = 'api/query';
  if (values.range !== undefined) {
    const end = Date.now() / 1000;
    params.set('start', String(end - parseDuration(values.range, '--range') / 1000));
    params.set('end', String(end));
    params.set('step', String(parseDuration(values.step, '--step') / 1000));
    path = 'api/query_range';
  } else if (values.time !== undefined) params.set('time', values.time);
  const { status, json } = await get(values.url, `${path}?${params}`, token, err);
  if (values.json) out(`${JSON.stringify(json, null, 2)}\n`);
  if (status !== 200 || json.status !== 'success') {
    err(`fastmeter query: ${json.error ?? `HTTP ${status}`}\n`);
    return 1;
  }
  if (values.json) return 0;
  const result: any[] = json.data.result;
  if (result.length === 0) {
    out('(no series)\n');
    return 0;
  }
  if (json.data.resultType === 'vector') {
    const rows = result.map(r => [formatLabels(r.metric), r.value[1]]);
    const width = Math.max(...rows.map(r => r[0].length));
    for (const [labels, value] of rows) out(`${labels.padEnd(width)}  ${value}\n`);
  } else {
    for (const r of result) {
      out(`${formatLabels(r.metric)}\n`);
      for (const [t, v] of r.values) out(`  ${new Date(t * 1000).toISOString()}  ${v}\n`);
    }
  }
  return 0;
}

async function alerts(argv: string[], out: Out, err: Out): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { url: { type: 'string', default: 'http://127.0.0.1:9470' }, token: { type: 'string' }, json: { type: 'boolean', default: false } },
  });
  const { status, json } = await get(values.url, 'api/alerts', values.token ?? process.env.FASTMETER_DASHBOARD_TOKEN, err);
  if (status !== 200) {
    err(`fastmeter alerts: ${json.error ?? `HTTP ${status}`}\n`);
    return 1;
  }
  if (values.json) {
    out(`${JSON.stringify(json.data, null, 2)}\n`);
    return 0;
  }
  const { alerts: list, rules } = json.data;
  out(`${rules.length} rule(s), ${list.length} active alert(s)\n`);
  for (const a of list) out(`  ${a.state.toUpperCase().padEnd(8)} ${formatLabels(a.labels)}  value ${a.value}\n`);
  return 0;
}
