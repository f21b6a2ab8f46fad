// start(): configuration (OTEL_CONFIG_FILE or the OTEL_* variables) → a
// FastMeterProvider with its readers, registered as the global meter provider,
// runtime metrics, extensions, and exit hooks. Never throws: whatever goes
// wrong is reported, and the application runs on (at worst without metrics).
//
// One instance per process, shared by the ES module and CommonJS builds
// through a global symbol: `--import @fastmeter/node/register` loads the ES
// build, and an application calling require('@fastmeter/node').shutdown()
// must reach the same instance.
import { FastMeterProvider, type IMetricReader, type MeasurementProcessor, type ViewOptions } from '@fastmeter/sdk';
import { type Attributes, DiagConsoleLogger, DiagLogLevel, type Meter, diag, metrics } from '@opentelemetry/api';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { configFromEnv, type Env } from './config/env.js';
import { ConfigFileError, configFromFile } from './config/file.js';
import type { ExtensionsConfig, NodeConfig } from './config/model.js';
import { log, Reporter } from './config/report.js';
import { RUNTIME_NODE_SCOPE, RuntimeMetrics } from './runtime/runtime-metrics.js';
import { type NodeExtension, setupExtensions } from './setup/extensions.js';
import { alreadyLoaded } from './setup/load.js';
import { buildReader } from './setup/readers.js';
import { type ExitHooks, installExitHooks } from './setup/signals.js';
import { VERSION } from './version.js';

export interface StartOptions {
  /** Environment to read (default: process.env). */
  env?: Env;
  /** A configuration file to read instead of OTEL_CONFIG_FILE. */
  configFile?: string;
  /** Readers added to the configured ones. */
  readers?: IMetricReader[];
  /** Views added after the configured ones. */
  views?: ViewOptions[];
  /** Resource attributes that override the configured ones. */
  resourceAttributes?: Attributes;
  /** Overrides the configured runtime-metrics switch. */
  runtimeMetrics?: boolean;
  /** Measurement processors (see @fastmeter/processors). */
  processors?: MeasurementProcessor[];
  /** Extensions to set up, merged over the file's `fastmeter` section. */
  extensions?: ExtensionsConfig;
  /** Register as the global meter provider (default true). */
  register?: boolean;
  /** Flush and shut down on SIGTERM, SIGINT and beforeExit (default true). */
  exitHooks?: boolean;
}

export interface FastMeterNode {
  readonly provider: FastMeterProvider;
  readonly config: NodeConfig;
  /**
   * The first Prometheus reader (a PrometheusExporter), if one is configured:
   * `prometheus.getMetricsRequestHandler(req, res)` serves the exposition from
   * the application's own HTTP server (with FASTMETER_PROMETHEUS_SERVER=false,
   * it has no server of its own).
   */
  readonly prometheus: PrometheusReader | undefined;
  /** Every reader of the provider: the configured ones, the extensions', then `options.readers`. */
  readonly readers: readonly IMetricReader[];
  /** The fastmeter packages wired in, by key (`extensions.ring.ring` is the RingBufferReader). */
  readonly extensions: Partial<Record<keyof ExtensionsConfig, NodeExtension>>;
  /** Every configuration problem reported while starting. */
  readonly problems: readonly string[];
  /** Flushes every reader now. */
  forceFlush(): Promise<void>;
  /** Shuts down once (later calls return the same promise): final export, servers closed, hooks removed. */
  shutdown(): Promise<void>;
}

/** What @opentelemetry/exporter-prometheus's PrometheusExporter offers an application. */
export interface PrometheusReader extends IMetricReader {
  /** Serves the exposition: (request: http.IncomingMessage, response: http.ServerResponse). Typed loosely so that these declarations need no @types/node. */
  getMetricsRequestHandler(request: unknown, response: unknown): void;
}

const GLOBAL = Symbol.for('@fastmeter/node');
/** Where the register entry keeps the application's OTEL_METRICS_EXPORTER, for child processes (see coexist()). */
export const SAVED_EXPORTER_VARIABLE = 'FASTMETER_NODE_OTEL_METRICS_EXPORTER';
type Holder = { [GLOBAL]?: FastMeterNode };

/** The running instance, if start() succeeded in this process. */
export function running(): FastMeterNode | undefined {
  return (globalThis as Holder)[GLOBAL];
}

/** The environment as the application set it: our own OTEL_METRICS_EXPORTER=none (see coexist) is undone. */
function applicationEnv(env: Env): Env {
  const saved = env[SAVED_EXPORTER_VARIABLE];
  if (saved === undefined || env.OTEL_METRICS_EXPORTER !== 'none') return env;
  return { ...env, OTEL_METRICS_EXPORTER: saved === '' ? undefined : saved };
}

/** The configuration start() would use, with the problems found. Never throws. */
export function loadConfig(options: Pick<StartOptions, 'env' | 'configFile'> = {}): { config: NodeConfig; problems: string[] } {
  const reporter = new Reporter();
  const env = applicationEnv(options.env ?? process.env);
  const file = options.configFile ?? env.OTEL_CONFIG_FILE?.trim();
  let config: NodeConfig | undefined;
  if (file !== undefined && file !== '') {
    try {
      config = configFromFile(file, env, reporter);
    } catch (err) {
      if (!(err instanceof ConfigFileError)) throw err;
      reporter.warn(`OTEL_CONFIG_FILE: ${err.message}; using the OTEL_* environment variables instead`);
    }
  }
  config ??= configFromEnv(env, reporter);
  return { config, problems: reporter.problems };
}

/**
 * Keeps NodeSDK (and auto-instrumentations-node/register, which runs it) from
 * building a second meter provider: NodeSDK reads OTEL_METRICS_EXPORTER when
 * it is constructed, and builds no meter provider for `none`. The application's
 * value is kept in FASTMETER_NODE_OTEL_METRICS_EXPORTER, so a child process
 * that inherits the environment and also loads @fastmeter/node reads the
 * original (see applicationEnv).
 */
function coexist(): () => void {
  const before = process.env.OTEL_METRICS_EXPORTER;
  const savedBefore = process.env[SAVED_EXPORTER_VARIABLE];
  if (savedBefore === undefined || before !== 'none') process.env[SAVED_EXPORTER_VARIABLE] = before ?? '';
  process.env.OTEL_METRICS_EXPORTER = 'none';
  return () => {
    if (before === undefined) delete process.env.OTEL_METRICS_EXPORTER;
    else process.env.OTEL_METRICS_EXPORTER = before;
    if (savedBefore === undefined) delete process.env[SAVED_EXPORTER_VARIABLE];
    else process.env[SAVED_EXPORTER_VARIABLE] = savedBefore;
  };
}

/** How long the final export may take: the longest reader's export timeout (an OTLP export also stops at its exporter's own timeout). */
function exportTimeout(config: NodeConfig): number {
  let timeout = 0;
  for (const r of config.readers) {
    if (r.kind !== 'periodic') continue;
    timeout = Math.max(timeout, r.exporter.kind === 'otlp' ? Math.min(r.timeoutMillis, r.exporter.timeoutMillis) : r.timeoutMillis);
  }
  // Pull readers only stop a server; leave room for extensions' readers.
  return timeout > 0 ? timeout : 5_000;
}

const LOG_LEVELS: Record<string, DiagLogLevel> = {
  none: DiagLogLevel.NONE,
  error: DiagLogLevel.ERROR,
  warn: DiagLogLevel.WARN,
  info: DiagLogLevel.INFO,
  debug: DiagLogLevel.DEBUG,
  verbose: DiagLogLevel.VERBOSE,
  all: DiagLogLevel.ALL,
};

/**
 * OTEL_LOG_LEVEL set: a console diag logger at that level, as NodeSDK does, so
 * the SDK's and exporters' diagnostics show. Installed on the next turn of the
 * event loop and only if nobody installed one by then (auto-instrumentations'
 * register and NodeSDK install their own; a second one would print "Current
 * logger will be overwritten").
 */
function diagLoggerFromEnv(env: Env): void {
  const level = LOG_LEVELS[env.OTEL_LOG_LEVEL?.trim().toLowerCase() ?? ''];
  if (level === undefined) return;
  setImmediate(() => {
    const api = (globalThis as Record<symbol, { diag?: unknown } | undefined>)[Symbol.for('opentelemetry.js.api.1')];
    if (api?.diag === undefined) diag.setLogger(new DiagConsoleLogger(), { logLevel: level });
  }).unref();
}

/**
 * Creates the provider from the configuration and registers it as the global
 * meter provider. Returns undefined (and registers nothing) when the SDK is
 * disabled or another meter provider is already registered.
 */
export function start(options: StartOptions = {}): FastMeterNode | undefined {
  const existing = running();
  if (existing !== undefined) {
    log('warn', 'start() called again: @fastmeter/node is already running; the running instance is returned');
    return existing;
  }
  diagLoggerFromEnv(options.env ?? process.env);
  try {
    return startNow(options);
  } catch (err) {
    log('error', `could not start, the application runs without fastmeter metrics: ${(err as Error)?.stack ?? err}`);
    return undefined;
  }
}

function startNow(options: StartOptions): FastMeterNode | undefined {
  const { config, problems } = loadConfig(options);
  if (options.runtimeMetrics !== undefined) config.runtimeMetrics = options.runtimeMetrics;
  if (options.extensions !== undefined) config.extensions = { ...config.extensions, ...options.extensions };
  if (config.disabled) {
    log('info', `the SDK is disabled (${config.source === 'environment' ? 'OTEL_SDK_DISABLED' : `${config.source}: disabled`}); nothing is registered`);
    return undefined;
  }

  const wired = setupExtensions(config.extensions);
  const extensions: NodeExtension[] = Object.values(wired);
  const readers: IMetricReader[] = [];
  let prometheus: PrometheusReader | undefined;
  const wrappers = extensions.filter(e => typeof e.wrapExporter === 'function');
  const wrap = (exporter: unknown, name: string) => wrappers.reduce((inner, e) => e.wrapExporter!(inner, name), exporter);
  for (const r of config.readers) {
    const reader = buildReader(r, wrap);
    if (reader === undefined) continue;
    readers.push(reader);
    if (r.kind === 'prometheus') prometheus ??= reader as PrometheusReader;
  }
  for (const e of extensions) readers.push(...(e.readers ?? []));
  readers.push(...(options.readers ?? []));

  const resource = defaultResource().merge(
    resourceFromAttributes(
      { ...config.resourceAttributes, ...options.resourceAttributes },
      config.resourceSchemaUrl ? { schemaUrl: config.resourceSchemaUrl } : undefined,
    ),
  );
  const provider = new FastMeterProvider({
    resource,
    readers,
    views: [...config.views, ...(options.views ?? [])],
    attributeValueLengthLimit: config.attributeValueLengthLimit,
    attributeCountLimit: config.attributeCountLimit,
    selfMetrics: config.selfMetrics,
    processors: [...extensions.flatMap(e => e.processors ?? []), ...(options.processors ?? [])],
  });

  let undoCoexist = (): void => {};
  if (options.register !== false) {
    if (!metrics.setGlobalMeterProvider(provider)) {
      log(
        'error',
        'another MeterProvider is already registered as the global one, so fastmeter is not used. ' +
          'Load @fastmeter/node/register before anything that registers one (e.g. --import @fastmeter/node/register before ' +
          '--import @opentelemetry/auto-instrumentations-node/register), and give NodeSDK no metric readers.',
      );
      void provider.shutdown().catch(() => {});
      return undefined;
    }
    undoCoexist = coexist();
    // Instrumentations fetch their meter when they are created: created before this point, they kept the no-op one.
    if (alreadyLoaded(/[\\/]@opentelemetry[\\/]instrumentation[\\/]/)) {
      log(
        'warn',
        'OpenTelemetry instrumentations were loaded before @fastmeter/node: the meters they created stay no-ops. ' +
          'Load @fastmeter/node/register first (e.g. before @opentelemetry/auto-instrumentations-node/register).',
      );
    }
  }

  const runtime = config.runtimeMetrics ? new RuntimeMetrics() : undefined;
  if (runtime !== undefined) {
    // instrumentation-runtime-node, if it starts on this provider later, takes over (see runtime-metrics.ts).
    const getMeter = provider.getMeter.bind(provider);
    provider.getMeter = (name: string, ...rest: Parameters<FastMeterProvider['getMeter']> extends [string, ...infer R] ? R : never): Meter => {
      if (name === RUNTIME_NODE_SCOPE) {
        log('info', `${RUNTIME_NODE_SCOPE} is active: fastmeter's runtime metrics step aside`);
        runtime.stepAside();
      }
      return getMeter(name, ...rest);
    };
    runtime.start(getMeter('@fastmeter/node', VERSION));
  }

  let hooks: ExitHooks | undefined;
  let stopped: Promise<void> | undefined;
  const instance: FastMeterNode = {
    provider,
    config,
    prometheus,
    readers,
    extensions: wired,
    problems,
    forceFlush: () => provider.forceFlush(),
    shutdown() {
      stopped ??= (async () => {
        hooks?.remove();
        runtime?.stop();
        try {
          await provider.shutdown();
        } finally {
          for (const e of extensions) await Promise.resolve(e.shutdown?.()).catch(err => log('error', `extension shutdown failed: ${err?.message ?? err}`));
          if ((globalThis as Holder)[GLOBAL] === instance) delete (globalThis as Holder)[GLOBAL];
          if (options.register !== false) {
            if (metrics.getMeterProvider() === provider) metrics.disable();
            undoCoexist();
          }
        }
      })();
      return stopped;
    },
  };
  for (const e of extensions) {
    try {
      e.started?.(provider);
    } catch (err) {
      log('error', `extension start failed: ${(err as Error).message}`);
    }
  }
  if (options.exitHooks !== false) hooks = installExitHooks({ flush: () => provider.forceFlush(), shutdown: () => instance.shutdown() }, exportTimeout(config));
  (globalThis as Holder)[GLOBAL] = instance;
  log('info', `started: ${readers.length} reader(s) from ${config.source}${runtime ? ', runtime metrics on' : ''}`);
  return instance;
}

/** Shuts down the instance start() created (final export, servers closed). Resolves when done; does nothing if none runs. */
export async function shutdown(): Promise<void> {
  await running()?.shutdown();
}
