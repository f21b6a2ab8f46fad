// FastPrometheusExporter: a pull reader with its own HTTP server, with the
// constructor options, defaults and HTTP behaviour of
// @opentelemetry/exporter-prometheus' PrometheusExporter of the installed line,
// and its exact bytes for the classic text. On a FastMeterProvider a scrape is
// read straight from the typed arrays and written in slices (no synchronous
// block over `sliceBudgetMillis`); OpenMetrics is served to scrapers that ask.
//
//   GET <endpoint>  ──► collect (callbacks, one snapshot per stream) ──► text or OpenMetrics,
//                       in slices ──► 200, Content-Length, body
//   other paths     ──► 404;  unparsable URL ──► 400 "Bad Request"
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { diag } from '@opentelemetry/api';
import type { MetricProducer } from '@fastmeter/sdk';
import { type Line, detectLine, lineOption } from '../common/line.js';
import { FastMetricReader, type FastReaderOptions } from '../common/reader.js';
import { Slicer, sliceBudget } from '../common/slicer.js';
import { prefersOpenMetrics } from './negotiate.js';
import { OPENMETRICS_CONTENT_TYPE, OpenMetricsWriter } from './openmetrics.js';
import { ClassicTextWriter, type PrometheusFormatOptions } from './text.js';

/** PrometheusExporter's options (ExporterConfig), plus fastmeter's own (last four). */
export interface FastPrometheusExporterOptions {
  /** Prefix for metric names (`prefix_name`). Default ''. */
  prefix?: string;
  /** Append each sample's timestamp. Default false. */
  appendTimestamp?: boolean;
  /** Path of the metrics endpoint; a missing leading slash is added. Default '/metrics'. */
  endpoint?: string;
  /** Line 2: default all interfaces (or OTEL_EXPORTER_PROMETHEUS_HOST); line 3: 'localhost'. */
  host?: string;
  /** Default 9464 (line 2: or OTEL_EXPORTER_PROMETHEUS_PORT). As upstream, 0 means the default. */
  port?: number;
  /** Do not start the HTTP server (use getMetricsRequestHandler in your own). Default false. */
  preventServerStart?: boolean;
  /** @experimental Further producers whose data is appended (their resource is ignored). */
  metricProducers?: MetricProducer[];
  /** Resource attributes whose key matches become labels of every sample. */
  withResourceConstantLabels?: RegExp;
  /** No `otel_scope_*` labels. Default false. */
  withoutScopeInfo?: boolean;
  /** No `target_info` metric. Default false. */
  withoutTargetInfo?: boolean;
  /** Longest synchronous block of a scrape, in ms (collection and serialisation give the event loop back in between). Default 10. */
  sliceBudgetMillis?: number;
  /** Serve OpenMetrics 1.0 to scrapers that prefer it (Accept header). Default true. */
  openMetrics?: boolean;
  /** Whose classic text to reproduce: 2 (exporter-prometheus 0.22x), 3 (0.30x), or 'auto' (the installed @opentelemetry/api's line). */
  line?: 2 | 3 | 'auto';
  /** Cardinality limit per instrument kind. Default 2000 (PrometheusExporter has no such option). */
  cardinalitySelector?: FastReaderOptions['cardinalitySelector'];
}

/** One scrape's output. */
export interface ScrapeResult {
  readonly contentType: string;
  /** The body as written, in order. */
  readonly chunks: readonly Uint8Array[];
  /** The body in one Buffer. */
  readonly body: Buffer;
  /** Collection errors (observable callbacks that threw, ...), also reported to diag. */
  readonly errors: readonly unknown[];
}

/** What the last scrape did: slices and the longest one, time and size. */
export interface ScrapeStats {
  readonly format: 'text' | 'openmetrics';
  readonly slices: number;
  readonly longestSliceMs: number;
  /** The longest slice's CPU time (process-wide): unlike wall clock, not inflated by other processes. */
  readonly longestSliceCpuMs: number;
  readonly durationMs: number;
  readonly bytes: number;
}

const DEFAULT_PORT = 9464;
const DEFAULT_ENDPOINT = '/metrics';

export class FastPrometheusExporter extends FastMetricReader {
  /** The defaults of the installed line's PrometheusExporter (host: line 2 all interfaces, line 3 'localhost'). */
  static readonly DEFAULT_OPTIONS = {
    host: detectLine() === 3 ? 'localhost' : undefined,
    port: DEFAULT_PORT,
    endpoint: DEFAULT_ENDPOINT,
    prefix: '',
    appendTimestamp: false,
    withResourceConstantLabels: undefined,
    withoutScopeInfo: false,
    withoutTargetInfo: false,
  };

  readonly line: Line;
  private readonly _host: string | undefined;
  private readonly _port: number;
  private readonly _baseUrl: string;
  private readonly _endpoint: string;
  private readonly _server: Server;
  private readonly _budget: number;
  private readonly _openMetrics: boolean;
  private readonly _text: ClassicTextWriter;
  private readonly _om: OpenMetricsWriter;
  private _startServerPromise: Promise<void> | undefined = undefined;
  private _lastScrape: ScrapeStats | undefined = undefined;

  constructor(config: FastPrometheusExporterOptions = {}, callback: (error?: unknown) => void = () => {}) {
    super({ metricProducers: config.metricProducers, cardinalitySelector: config.cardinalitySelector });
    this.line = lineOption(config.line);
    this._budget = sliceBudget(config.sliceBudgetMillis);
    this._openMetrics = config.openMetrics !== false;
    if (this.line === 2) {
      this._host = config.host || process.env.OTEL_EXPORTER_PROMETHEUS_HOST || undefined;
      this._port = config.port || Number(process.env.OTEL_EXPORTER_PROMETHEUS_PORT) || DEFAULT_PORT;
    } else {
      this._host = config.host || 'localhost';
      this._port = config.port || DEFAULT_PORT;
    }
    const format: PrometheusFormatOptions = {
      prefix: config.prefix || '',
      appendTimestamp: typeof config.appendTimestamp === 'boolean' ? config.appendTimestamp : false,
      withResourceConstantLabels: config.withResourceConstantLabels || undefined,
      withoutScopeInfo: !!config.withoutScopeInfo,
      withoutTargetInfo: !!config.withoutTargetInfo,
      line: this.line,
    };
    this._text = new ClassicTextWriter(format);
    this._om = new OpenMetricsWriter(format);
    // unref: the exporter must not keep the process alive (as upstream).
    this._server = createServer(this._requestHandler).unref();
    this._baseUrl = `http://${this._host}:${this._port}/`;
    this._endpoint = (config.endpoint || DEFAULT_ENDPOINT).replace(/^([^/])/, '/$1');
    if (config.preventServerStart !== true) {
      this.startServer().then(callback, err => {
        diag.error(err);
        callback(err);
      });
    } else if (callback) {
      queueMicrotask(callback);
    }
  }

  /** Starts the HTTP server (once; later calls return the same promise). */
  startServer(): Promise<void> {
    this._startServerPromise ??= new Promise((resolve, reject) => {
      this._server.once('error', reject);
      this._server.listen({ port: this._port, host: this._host }, () => {
        diag.debug(`Prometheus exporter server started: ${this._host}:${this._port}/${this._endpoint}`);
        resolve();
      });
    });
    return this._startServerPromise;
  }

  /** Stops the HTTP server; resolves also when it was not running. */
  stopServer(): Promise<void> {
    return new Promise(resolve => {
      this._server.close(err => {
        if (!err) diag.debug('Prometheus exporter was stopped');
        else if ((err as NodeJS.ErrnoException).code !== 'ERR_SERVER_NOT_RUNNING') diag.error('Prometheus exporter: stopping the server failed', err);
        resolve();
      });
    });
  }

  /** The address the server listens on (undefined before it started). */
  address(): { address: string; port: number } | undefined {
    const a = this._server.address();
    return a !== null && typeof a === 'object' ? { address: a.address, port: a.port } : undefined;
  }

  /** Serves one scrape on `response` (for a server of your own). The request's Accept header picks the format. */
  getMetricsRequestHandler(request: IncomingMessage | undefined, response: ServerResponse): void {
    this._exportMetrics(request, response);
  }

  /**
   * One scrape without HTTP: the body (as chunks, and `body` joined on
   * first access) and its Content-Type for an Accept header (classic text
   * when absent). Rejects what a scrape answers with `# failed to export metrics`.
   */
  async scrape(accept?: string): Promise<ScrapeResult> {
    const { contentType, chunks, errors } = await this._render(this._openMetrics && prefersOpenMetrics(accept));
    let body: Buffer | undefined;
    return {
      contentType,
      chunks,
      errors,
      get body() {
        body ??= Buffer.concat(chunks);
        return body;
      },
    };
  }

  /** Slices, longest slice and size of the last scrape. */
  get lastScrape(): ScrapeStats | undefined {
    return this._lastScrape;
  }

  protected async onForceFlush(): Promise<void> {}

  protected onShutdown(): Promise<void> {
    return this.stopServer();
  }

  private readonly _requestHandler = (request: IncomingMessage, response: ServerResponse): void => {
    let pathname: string | undefined;
    try {
      if (request.url != null) pathname = new URL(request.url, this._baseUrl).pathname;
    } catch {
      response.statusCode = 400;
      response.end('Bad Request');
      return;
    }
    if (pathname === this._endpoint) {
      this._exportMetrics(request, response);
    } else {
      response.statusCode = 404;
      response.end();
    }
  };

  private _exportMetrics(request: IncomingMessage | undefined, response: ServerResponse): void {
    response.statusCode = 200;
    response.setHeader('content-type', 'text/plain');
    const openMetrics = this._openMetrics && prefersOpenMetrics(request?.headers?.accept);
    this._render(openMetrics).then(
      ({ contentType, chunks, errors }) => {
        if (errors.length) diag.error('PrometheusExporter: metrics collection errors', ...errors);
        if (response.writableEnded || response.destroyed) return;
        response.setHeader('content-type', contentType);
        response.setHeader(
          'content-length',
          chunks.reduce((n, c) => n + c.length, 0),
        );
        for (const chunk of chunks) response.write(chunk);
        response.end();
      },
      err => {
        if (!response.writableEnded && !response.destroyed) response.end(`# failed to export metrics: ${err}`);
      },
    );
  }

  private async _render(openMetrics: boolean): Promise<{ contentType: string; chunks: Uint8Array[]; errors: unknown[] }> {
    const started = performance.now();
    const slicer = new Slicer(this._budget);
    const collection = await this.collectColumns(slicer);
    const chunks = openMetrics ? await this._om.write(collection, slicer) : await this._text.write(collection, slicer);
    slicer.finish();
    this._lastScrape = {
      format: openMetrics ? 'openmetrics' : 'text',
      slices: slicer.slices,
      longestSliceMs: slicer.longestSliceMs,
      longestSliceCpuMs: slicer.longestSliceCpuMs,
      durationMs: performance.now() - started,
      bytes: chunks.reduce((n, c) => n + c.length, 0),
    };
    return { contentType: openMetrics ? OPENMETRICS_CONTENT_TYPE : 'text/plain', chunks, errors: collection.errors };
  }
}
