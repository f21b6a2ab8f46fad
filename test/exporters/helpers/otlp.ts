// A loopback OTLP/HTTP metrics receiver. Bodies are decoded by the protobufjs
// static module that OpenTelemetry JS generated from the official OTLP .proto
// files (@opentelemetry/otlp-transformer@0.57.2, installed as `otlp-schema`):
// protobuf with `decode` + `verify`, JSON with `JSON.parse` + `fromObject` +
// `verify` and a check that the schema knows every key the JSON carries.
import { once } from 'node:events';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { createRequire } from 'node:module';
import { gunzipSync } from 'node:zlib';
import { withTimeout } from './util.js';

interface ProtoType<T> {
  decode(body: Uint8Array): T;
  encode(message: T): { finish(): Uint8Array };
  create(properties?: object): T;
  fromObject(object: object): T;
  toObject(message: T, options: object): Record<string, any>;
  verify(message: object): string | null;
}

const require = createRequire(import.meta.url);
const v1 = require('otlp-schema/build/src/generated/root.js').opentelemetry.proto.collector.metrics.v1;
const Request: ProtoType<object> = v1.ExportMetricsServiceRequest;
const Response: ProtoType<object> = v1.ExportMetricsServiceResponse;

/**
 * How decoded requests are shown to tests: 64-bit integers as decimal strings
 * (timestamps do not fit a double; `asInt`/`count` compare as '3'), enums as
 * numbers (AGGREGATION_TEMPORALITY_CUMULATIVE = 2), bytes as base64.
 */
const VIEW = { longs: String, enums: Number, bytes: String } as const;
/** Every field, defaults included: used to find JSON keys the schema did not take. */
const FULL = { ...VIEW, defaults: true, arrays: true, objects: true } as const;

export type Decoded = Record<string, any>;

export interface Captured {
  contentType: string;
  /** The request as the schema decoded it (see VIEW), without implicit proto3 defaults. */
  request: Decoded;
}

/** Paths of keys present in `json` that are absent from the schema's view of the decoded message. */
export function droppedKeys(json: unknown, decoded: unknown, path = ''): string[] {
  if (Array.isArray(json)) {
    const other = Array.isArray(decoded) ? decoded : [];
    return json.flatMap((item, i) => droppedKeys(item, other[i], `${path}${i}.`));
  }
  if (json === null || typeof json !== 'object') return [];
  const other = decoded !== null && typeof decoded === 'object' ? (decoded as Record<string, unknown>) : {};
  return Object.entries(json).flatMap(([key, value]) => (key in other ? droppedKeys(value, other[key], `${path}${key}.`) : [`${path}${key}`]));
}

/** Numeric OTLP fields without explicit presence: 0 there means "not set". */
const IMPLICIT_NUMBERS = new Set([
  'count',
  'zeroCount',
  'offset',
  'scale',
  'flags',
  'droppedAttributesCount',
  'aggregationTemporality',
  'startTimeUnixNano',
  'timeUnixNano',
  'zeroThreshold',
]);

/**
 * Drops fields that hold their proto3 default. Such a field is the same as an
 * absent one, and the two exporters differ there: the protobuf exporter leaves
 * `description: ''`, `version: ''`, `isMonotonic: false`, `offset: 0` out, the
 * JSON exporter spells them out. Fields with explicit presence keep their zero:
 * the AnyValue oneof (`stringValue: ''`, `boolValue: false`, `intValue: '0'`),
 * the point value oneof (`asDouble: 0`) and the optional `sum`/`min`/`max`.
 */
function withoutImplicitDefaults(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(item => withoutImplicitDefaults(item));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if ((v === '' || v === false) && k !== 'stringValue' && k !== 'boolValue') continue;
    if ((v === 0 || v === '0') && IMPLICIT_NUMBERS.has(k)) continue;
    out[k] = withoutImplicitDefaults(v);
  }
  return out;
}

function decode(contentType: string, body: Buffer): Captured {
  if (contentType === 'application/x-protobuf') {
    const message = Request.decode(body);
    const error = Request.verify(message);
    if (error !== null) throw new Error(`verify: ${error}`);
    return { contentType, request: withoutImplicitDefaults(Request.toObject(message, VIEW)) as Decoded };
  }
  if (contentType === 'application/json') {
    const json: unknown = JSON.parse(body.toString('utf8'));
    const message = Request.fromObject(json as object);
    const error = Request.verify(message);
    if (error !== null) throw new Error(`verify: ${error}`);
    const dropped = droppedKeys(json, Request.toObject(message, FULL));
    if (dropped.length > 0) throw new Error(`JSON keys unknown to the OTLP schema: ${dropped.join(', ')}`);
    return { contentType, request: withoutImplicitDefaults(Request.toObject(message, VIEW)) as Decoded };
  }
  throw new Error(`unsupported content-type ${JSON.stringify(contentType)}`);
}

export class OtlpSink {
  readonly received: Captured[] = [];
  /** Requests the sink could not decode (the exporter then sees HTTP 400 and its export fails). */
  readonly rejected: string[] = [];

  private constructor(
    private readonly _server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<OtlpSink> {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await withTimeout(once(server, 'listening'), 5000, 'OTLP sink listen');
    const address = server.address();
    if (address === null || typeof address !== 'object') throw new Error('OTLP sink has no address');
    const sink = new OtlpSink(server, `http://127.0.0.1:${address.port}/v1/metrics`);
    server.on('request', (req, res) => sink._handle(req, res));
    return sink;
  }

  /** Returns what arrived so far and forgets it. */
  take(): Captured[] {
    return this.received.splice(0);
  }

  async close(): Promise<void> {
    this._server.closeAllConnections();
    await withTimeout(new Promise<void>(resolve => this._server.close(() => resolve())), 5000, 'OTLP sink close');
  }

  private _handle(req: IncomingMessage, res: ServerResponse): void {
    if (req.method !== 'POST' || req.url !== '/v1/metrics') {
      res.statusCode = 404;
      res.end();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const contentType = (req.headers['content-type'] ?? '').split(';')[0].trim();
      try {
        let body = Buffer.concat(chunks);
        if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
        this.received.push(decode(contentType, body));
        res.setHeader('content-type', contentType);
        res.end(contentType === 'application/json' ? '{}' : Buffer.from(Response.encode(Response.create({})).finish()));
      } catch (err) {
        this.rejected.push((err as Error).message);
        res.statusCode = 400;
        res.end((err as Error).message);
      }
    });
  }
}

// ---- reading decoded requests -------------------------------------------------

/** An OTLP AnyValue as a JS value (int64 stays a decimal string, as decoded). */
function scalar(value: Decoded | undefined): unknown {
  if (value === undefined) return undefined;
  for (const key of ['stringValue', 'intValue', 'doubleValue', 'boolValue']) if (key in value) return value[key];
  return value;
}

/** `method=GET,route=/a,status=200`: the key of a data point in a summary ('' without attributes). */
export function attributeKey(attributes: Decoded[] | undefined): string {
  return (attributes ?? []).map(kv => `${kv.key}=${String(scalar(kv.value))}`).join(',');
}

export interface MetricSummary {
  description: string;
  unit: string;
  type: 'sum' | 'gauge' | 'histogram' | 'exponentialHistogram';
  aggregationTemporality?: number;
  isMonotonic?: boolean;
  /** Data points by attributeKey, without their attributes. */
  points: Record<string, Decoded>;
}

export interface ScopeSummary {
  scope: Decoded;
  schemaUrl?: string;
  metrics: Record<string, MetricSummary>;
}

/**
 * One request as nested records keyed by scope name, metric name and attribute
 * key, so that assertions do not depend on the order of scopes, metrics or points
 * (neither OTLP nor the SDKs give that order a meaning). Duplicates throw.
 */
export function summarize(request: Decoded): { resource: Decoded; scopes: Record<string, ScopeSummary> } {
  const resourceMetrics: Decoded[] = request.resourceMetrics ?? [];
  if (resourceMetrics.length !== 1) throw new Error(`expected one ResourceMetrics, got ${resourceMetrics.length}`);
  const scopes: Record<string, ScopeSummary> = {};
  for (const sm of resourceMetrics[0].scopeMetrics ?? []) {
    const name = sm.scope?.name ?? '';
    if (name in scopes) throw new Error(`scope ${name} twice`);
    const metrics: Record<string, MetricSummary> = {};
    for (const m of sm.metrics ?? []) {
      if (m.name in metrics) throw new Error(`metric ${m.name} twice in ${name}`);
      const type = (['sum', 'gauge', 'histogram', 'exponentialHistogram'] as const).find(t => t in m);
      if (type === undefined) throw new Error(`metric ${m.name} has no data`);
      const data = m[type];
      const points: Record<string, Decoded> = {};
      for (const { attributes, ...rest } of data.dataPoints ?? []) {
        const key = attributeKey(attributes);
        if (key in points) throw new Error(`point {${key}} twice in ${m.name}`);
        points[key] = rest;
      }
      const summary: MetricSummary = { description: m.description ?? '', unit: m.unit ?? '', type, points };
      if (type !== 'gauge') summary.aggregationTemporality = data.aggregationTemporality;
      if (type === 'sum') summary.isMonotonic = data.isMonotonic ?? false;
      metrics[m.name] = summary;
    }
    scopes[name] = { scope: sm.scope, ...(sm.schemaUrl === undefined ? {} : { schemaUrl: sm.schemaUrl }), metrics };
  }
  return { resource: resourceMetrics[0].resource, scopes };
}

/**
 * The request with scopes sorted by name and data points by attributes: the only
 * normalisation the differential tests apply (timestamps are made equal by a fake Date).
 */
export function sortedRequest(request: Decoded): Decoded {
  const copy = structuredClone(request);
  for (const rm of copy.resourceMetrics ?? []) {
    rm.scopeMetrics?.sort((a: Decoded, b: Decoded) => String(a.scope?.name).localeCompare(String(b.scope?.name)));
    for (const sm of rm.scopeMetrics ?? []) {
      for (const m of sm.metrics ?? []) {
        const data = m.sum ?? m.gauge ?? m.histogram ?? m.exponentialHistogram;
        data?.dataPoints?.sort((a: Decoded, b: Decoded) => attributeKey(a.attributes).localeCompare(attributeKey(b.attributes)));
      }
    }
  }
  return copy;
}
