// A real Prometheus server (Debian's prometheus 2.42) on 127.0.0.1, scraping
// loopback targets every second, queried over its HTTP API.
// Notes from real-peers.md §1-2: ready in ~0.1 s, but the first scrape comes
// ~5 s after start (targets are synced on a 5 s throttle); it negotiates
// OpenMetrics and picks its parser from the response Content-Type; parse errors
// show per target as health "down" and lastError.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Daemon, fetchWithTimeout, freePort, poll, runOk } from './proc.js';

export interface PromSample {
  metric: Record<string, string>;
  value: number;
}

export interface Target {
  health: string;
  lastError: string;
  scrapeUrl: string;
  labels: Record<string, string>;
  lastScrape: string;
}

export class PrometheusServer {
  private constructor(
    readonly daemon: Daemon,
    readonly url: string,
  ) {}

  /**
   * Starts Prometheus with one job scraping `targets` (host:port) every second.
   * Its data goes to `dir`. The config is checked by `promtool check config` first
   * when promtool is given.
   */
  static async start(options: { binary: string; promtool?: string; dir: string; job: string; targets: string[] }): Promise<PrometheusServer> {
    const config = join(options.dir, 'prometheus.yml');
    await writeFile(
      config,
      [
        'global:',
        '  scrape_interval: 1s',
        '  scrape_timeout: 1s',
        '  evaluation_interval: 1s',
        'scrape_configs:',
        `  - job_name: ${options.job}`,
        '    metrics_path: /metrics',
        `    static_configs: [{ targets: [${options.targets.map(t => `'${t}'`).join(', ')}] }]`,
        '',
      ].join('\n'),
    );
    if (options.promtool !== undefined) await runOk(options.promtool, ['check', 'config', config], { timeoutMs: 10_000 });
    // The port is free when probed; if another process takes it first, Prometheus
    // exits at once ("address already in use") and we try another one.
    let lastOutput = '';
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = await freePort();
      const daemon = Daemon.start('prometheus', options.binary, [
        `--config.file=${config}`,
        `--storage.tsdb.path=${join(options.dir, `data-${attempt}`)}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--storage.tsdb.retention.time=1h',
        '--log.level=warn',
      ]);
      const url = `http://127.0.0.1:${port}`;
      try {
        await poll(async () => ((await fetchWithTimeout(`${url}/-/ready`, {}, 1000)).ok ? true : undefined), {
          timeoutMs: 15_000,
          what: 'Prometheus /-/ready',
          abort: () => (daemon.running ? undefined : 'prometheus exited'),
          details: () => daemon.output,
        });
        return new PrometheusServer(daemon, url);
      } catch (err) {
        lastOutput = `${(err as Error).message}`;
        await daemon.stop();
        if (!/address already in use/.test(daemon.output)) break;
      }
    }
    throw new Error(`Prometheus did not start: ${lastOutput}`);
  }

  /** An instant query (at the server's current time); vector results only. */
  async query(expr: string): Promise<PromSample[]> {
    const res = await fetchWithTimeout(`${this.url}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = (await res.json()) as any;
    if (body.status !== 'success') throw new Error(`query ${expr}: ${body.errorType}: ${body.error}`);
    if (body.data.resultType === 'scalar') return [{ metric: {}, value: Number(body.data.result[1]) }];
    if (body.data.resultType !== 'vector') throw new Error(`query ${expr}: unexpected result type ${body.data.resultType}`);
    return body.data.result.map((r: any) => ({ metric: r.metric, value: Number(r.value[1]) }));
  }

  /** The single value of a query that must return exactly one sample. */
  async scalar(expr: string): Promise<number> {
    const result = await this.query(expr);
    if (result.length !== 1) throw new Error(`query ${expr}: expected one sample, got ${JSON.stringify(result)}`);
    return result[0].value;
  }

  async targets(): Promise<Target[]> {
    const body = (await (await fetchWithTimeout(`${this.url}/api/v1/targets`)).json()) as any;
    return body.data.activeTargets;
  }

  /** `GET /api/v1/metadata`: type, help and unit per metric name, as Prometheus understood them. */
  async metadata(): Promise<Record<string, { type: string; help: string; unit: string }[]>> {
    const body = (await (await fetchWithTimeout(`${this.url}/api/v1/metadata`)).json()) as any;
    return body.data;
  }

  stop(): Promise<number | null> {
    return this.daemon.stop();
  }
}
