// FastOTLPMetricExporter: a PushMetricExporter with the options of
// OTLPMetricExporter (@opentelemetry/exporter-metrics-otlp-http / -proto) and
// its transport: the request goes through the standard OTLP/HTTP export
// delegate of @opentelemetry/otlp-exporter-base (URL and OTEL_EXPORTER_OTLP_*
// environment, headers, gzip, timeout, retries with backoff on 429/502/503/504
// and Retry-After, concurrency limit, partial-success logging). Only the body
// is ours: protobuf or JSON with the standard serialisers' fields, encoded in
// slices — from fastmeter's columns when a FastPeriodicExportingMetricReader
// hands them over, from ResourceMetrics objects when any other reader calls
// export().
import { diag } from '@opentelemetry/api';
import {
  type AggregationOption,
  AggregationTemporality,
  AggregationType,
  ErrorCode,
  FastMeterConfigError,
  InstrumentType,
  type ResourceMetrics,
} from '@fastmeter/sdk';
import type { MeterProvider } from '@opentelemetry/api';
// The CommonJS build's type resolution (node10) does not read `exports` subpaths; Node does, in
// both builds. What is used is typed below (the same in 0.22x and 0.30x, whose type exports differ).
// biome-ignore lint/suspicious/noTsIgnore: the ESM build resolves the module, the CommonJS build does not; expect-error would fail one of them
// @ts-ignore
import * as nodeHttp from '@opentelemetry/otlp-exporter-base/node-http';
import { type ColumnCollection, columnsOf } from '../common/columns.js';
import { Slicer, sliceBudget } from '../common/slicer.js';
import { encodeJson } from './json.js';
import { encodeProtobuf } from './protobuf.js';
import { decodeExportResponse } from './response.js';

export type OtlpProtocol = 'http/protobuf' | 'http/json';

/** exporter-metrics-otlp-http's AggregationTemporalityPreference (same values). */
export const AggregationTemporalityPreference = { DELTA: 0, CUMULATIVE: 1, LOWMEMORY: 2 } as const;
export type AggregationTemporalityPreference = (typeof AggregationTemporalityPreference)[keyof typeof AggregationTemporalityPreference];

/** OTLPExporterNodeConfigBase of @opentelemetry/otlp-exporter-base (0.22x and 0.30x). */
export interface OTLPExporterNodeConfigBase {
  url?: string;
  headers?: Record<string, string> | (() => Promise<Record<string, string>>);
  concurrencyLimit?: number;
  timeoutMillis?: number;
  keepAlive?: boolean;
  compression?: 'none' | 'gzip';
  httpAgentOptions?: object | ((protocol: string) => unknown);
  userAgent?: string;
  /** @experimental self-observability of the exporter, as upstream. */
  selfObsMeterProvider?: MeterProvider;
}

/** The standard delegate: serialises (here: hands over our body), sends, retries. */
interface ExportDelegate<Request> {
  export(request: Request, resultCallback: (result: ExportResult) => void): void;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

export interface FastOTLPMetricExporterOptions extends OTLPExporterNodeConfigBase {
  /** Default: OTEL_EXPORTER_OTLP_METRICS_PROTOCOL, else OTEL_EXPORTER_OTLP_PROTOCOL, else 'http/protobuf'. */
  protocol?: OtlpProtocol;
  /** As OTLPMetricExporter: DELTA, CUMULATIVE or LOWMEMORY; default OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE, else cumulative. */
  temporalityPreference?: AggregationTemporalityPreference | AggregationTemporality;
  aggregationPreference?: (type: InstrumentType) => AggregationOption;
  /** Longest synchronous block while encoding a request, in ms. Default 10. */
  sliceBudgetMillis?: number;
}

export interface ExportResult {
  code: number;
  error?: Error;
}

/** @opentelemetry/core's ExportResultCode. */
export const ExportResultCode = { SUCCESS: 0, FAILED: 1 } as const;

/** A request body ready to send, and how many points it carries (the delegate's self-metrics count them). */
interface Prepared {
  readonly body: Uint8Array;
  readonly points: number;
}

interface Serializer<Request> {
  serializeRequest(request: Request): Uint8Array | undefined;
  deserializeResponse(data: Uint8Array): unknown;
}

const { convertLegacyHttpOptions, createOtlpHttpExportDelegate } = nodeHttp as unknown as {
  convertLegacyHttpOptions(config: OTLPExporterNodeConfigBase, signal: string, path: string, headers: Record<string, string>): unknown;
  createOtlpHttpExportDelegate<Request>(
    options: unknown,
    serializer: Serializer<Request>,
    componentType: string,
    metricsHelper: { name: 'metric_data_point'; countItems(request: Request): number },
    meterProvider: unknown,
  ): ExportDelegate<Request>;
};

const CONTENT_TYPE: Record<OtlpProtocol, string> = { 'http/protobuf': 'application/x-protobuf', 'http/json': 'application/json' };

export class FastOTLPMetricExporter {
  readonly protocol: OtlpProtocol;
  private readonly _delegate: ExportDelegate<Prepared>;
  private readonly _temporality: (type: InstrumentType) => AggregationTemporality;
  private readonly _aggregation: (type: InstrumentType) => AggregationOption;
  private readonly _budget: number;
  private _sizeHint = 0;

  constructor(config: FastOTLPMetricExporterOptions = {}) {
    this.protocol = protocolOption(config.protocol);
    this._budget = sliceBudget(config.sliceBudgetMillis);
    this._temporality = temporalitySelector(config.temporalityPreference);
    this._aggregation = config.aggregationPreference ?? (() => DEFAULT_AGGREGATION);
    const json = this.protocol === 'http/json';
    this._delegate = createOtlpHttpExportDelegate<Prepared>(
      convertLegacyHttpOptions(config, 'METRICS', 'v1/metrics', { 'Content-Type': CONTENT_TYPE[this.protocol] }),
      {
        serializeRequest: prepared => prepared.body,
        deserializeResponse: data => (json ? parseJsonResponse(data) : decodeExportResponse(data)),
      },
      'otlp_http_metric_exporter',
      { name: 'metric_data_point', countItems: prepared => prepared.points },
      config.selfObsMeterProvider,
    );
  }

  /** The PushMetricExporter entry point: ResourceMetrics from any reader. */
  export(metrics: ResourceMetrics, resultCallback: (result: ExportResult) => void): void {
    this.exportColumns(columnsOf(metrics), new Slicer(this._budget)).then(resultCallback, error => resultCallback({ code: ExportResultCode.FAILED, error }));
  }

  /** Encodes a collection in slices and sends it (FastPeriodicExportingMetricReader's fast path). */
  async exportColumns(collection: ColumnCollection, slicer: Slicer): Promise<ExportResult> {
    let points = 0;
    for (const scope of collection.scopes) for (const metric of scope.metrics) points += metric.count;
    const body = await this.encode(collection, slicer);
    return new Promise(resolve => this._delegate.export({ body, points }, resolve));
  }

  /** The request body this exporter would send for `collection` (tests, debugging). */
  async encode(collection: ColumnCollection, slicer = new Slicer(this._budget)): Promise<Uint8Array> {
    const hint = this._sizeHint;
    const body = this.protocol === 'http/json' ? await encodeJson(collection, slicer, hint) : await encodeProtobuf(collection, slicer, hint);
    // Periodic exports are about the same size: the next body is written into one buffer this big.
    this._sizeHint = Math.min(MAX_SIZE_HINT, Math.ceil(body.length * 1.0625) + 4096);
    return body;
  }

  get sliceBudgetMillis(): number {
    return this._budget;
  }

  selectAggregationTemporality(type: InstrumentType): AggregationTemporality {
    return this._temporality(type);
  }

  selectAggregation(type: InstrumentType): AggregationOption {
    return this._aggregation(type);
  }

  forceFlush(): Promise<void> {
    return this._delegate.forceFlush();
  }

  shutdown(): Promise<void> {
    return this._delegate.shutdown();
  }
}

const DEFAULT_AGGREGATION: AggregationOption = Object.freeze({ type: AggregationType.DEFAULT });

/** The largest buffer allocated up front for a body (a larger body continues in chunks). */
const MAX_SIZE_HINT = 256 * 1024 * 1024;

function protocolOption(value: unknown): OtlpProtocol {
  const chosen = value ?? process.env.OTEL_EXPORTER_OTLP_METRICS_PROTOCOL?.trim() ?? process.env.OTEL_EXPORTER_OTLP_PROTOCOL?.trim();
  if (chosen === undefined || chosen === '') return 'http/protobuf';
  if (chosen === 'http/protobuf' || chosen === 'http/json') return chosen;
  if (value !== undefined) {
    throw new FastMeterConfigError(ErrorCode.INVALID_OPTION, `protocol must be 'http/protobuf' or 'http/json', got ${String(value)}`);
  }
  diag.warn(`FastOTLPMetricExporter: unsupported OTLP protocol ${JSON.stringify(chosen)} in the environment (grpc is not offered); using http/protobuf`);
  return 'http/protobuf';
}

const CUMULATIVE = () => AggregationTemporality.CUMULATIVE;

function deltaSelector(type: InstrumentType): AggregationTemporality {
  return type === InstrumentType.UP_DOWN_COUNTER || type === InstrumentType.OBSERVABLE_UP_DOWN_COUNTER
    ? AggregationTemporality.CUMULATIVE
    : AggregationTemporality.DELTA;
}

function lowMemorySelector(type: InstrumentType): AggregationTemporality {
  return type === InstrumentType.COUNTER || type === InstrumentType.HISTOGRAM ? AggregationTemporality.DELTA : AggregationTemporality.CUMULATIVE;
}

/** OTLPMetricExporterBase's choice: the option, else the environment, else cumulative. */
function temporalitySelector(preference: number | undefined): (type: InstrumentType) => AggregationTemporality {
  if (preference != null) {
    if (preference === AggregationTemporalityPreference.DELTA) return deltaSelector;
    if (preference === AggregationTemporalityPreference.LOWMEMORY) return lowMemorySelector;
    return CUMULATIVE;
  }
  const configured = (process.env.OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE?.trim() || 'cumulative').toLowerCase();
  if (configured === 'cumulative') return CUMULATIVE;
  if (configured === 'delta') return deltaSelector;
  if (configured === 'lowmemory') return lowMemorySelector;
  diag.warn(
    `OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE is set to '${configured}', but only 'cumulative' and 'delta' are allowed. Using default ('cumulative') instead.`,
  );
  return CUMULATIVE;
}

function parseJsonResponse(data: Uint8Array): unknown {
  if (data.length === 0) return {};
  try {
    return JSON.parse(Buffer.from(data).toString('utf8'));
  } catch (err) {
    diag.warn(`Failed to parse metrics export response: ${(err as Error).message}. Returning empty response`);
    return {};
  }
}
