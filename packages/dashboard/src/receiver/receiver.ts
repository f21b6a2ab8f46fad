// OTLP/HTTP metrics receiver: POST /v1/metrics, protobuf or JSON, gzip or not
// (https://opentelemetry.io/docs/specs/otlp/#otlphttp). Bodies are decoded by
// protobufjs against the official schema (schema.ts), converted and validated
// (convert.ts), and handed to a ring with `ring.ingest(resourceMetrics)`.
//
// Answers, in the request's content type:
//   200  ExportMetricsServiceResponse; with partial_success when points were rejected
//   400  google.rpc.Status: the body is not a valid request (with the reason)
//   404  not /v1/metrics          405  not POST
//   413  body (or its gunzipped form) larger than maxBodyBytes
//   415  content type other than application/x-protobuf / application/json,
//        or a content encoding other than gzip / identity
//   500  the ring threw (it should not)
// Nothing a client sends can throw out of the handler or hang it.
import { diag } from '@opentelemetry/api';
import type { HrTime, MeterProvider } from '@opentelemetry/api';
import { once } from 'node:events';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { promisify } from 'node:util';
import { gunzip as gunzipCallback } from 'node:zlib';
import { Converter } from './convert.js';
import { OtlpReader } from './reader.js';
import { ExportRequest, ExportResponse, Status } from './schema.js';
import type { IngestTarget } from './types.js';

const gunzip = promisify(gunzipCallback);

/** The OTel Collector's default request body limit (confighttp `max_request_body_size`). */
export const DEFAULT_MAX_BODY_BYTES = 20 * 1024 * 1024;
export const OTLP_METRICS_PATH = '/v1/metrics';

const PROTOBUF = 'application/x-protobuf';
const JSON_TYPE = 'application/json';

/** gRPC status codes used in google.rpc.Status. */
const Code = { INVALID_ARGUMENT: 3, RESOURCE_EXHAUSTED: 8, UNIMPLEMENTED: 12, INTERNAL: 13 } as const;

export interface ReceiverStats {
  requests: number;
  /** Requests answered with a 4xx/5xx status. */
  failedRequests: number;
  acceptedPoints: number;
  rejectedPoints: number;
  bytes: number;
}

export interface OtlpReceiverOptions {
  /** Where decoded points go: a `RingBufferReader` (or anything with `ingest(resourceMetrics)`). */
  ring: IngestTarget;
  /** Largest body accepted, compressed and decompressed (default 20 MiB). */
  maxBodyBytes?: number;
  /**
   * Reports the receiver's own metrics on this provider's meter `fastmeter`:
   * `fastmeter.receiver.requests` (attribute `http.response.status_code`),
   * `fastmeter.receiver.points` (attribute `result`: accepted, rejected) and
   * `fastmeter.receiver.bytes`, as observable counters (read at collection, nothing per request).
   */
  meterProvider?: MeterProvider;
}

export interface ExportOutcome {
  status: number;
  contentType: string;
  body: Uint8Array;
  /** The reason of a failure (status ≥ 400), or the partial-success message. */
  message?: string;
  accepted: number;
  rejected: number;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

function mediaType(header: string | undefined): string {
  return (header ?? '').split(';')[0].trim().toLowerCase();
}

function statusBody(contentType: string, code: number, message: string): Uint8Array {
  if (contentType === PROTOBUF) return Status.encode(Status.create({ code, message })).finish();
  return Buffer.from(JSON.stringify({ code, message }));
}

function decode(contentType: string, body: Uint8Array): unknown {
  try {
    if (contentType === PROTOBUF) {
      const buffer = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
      return ExportRequest.decode(new OtlpReader(buffer));
    }
    const json: unknown = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
    if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new Error('not a JSON object');
    return ExportRequest.fromObject(json as Record<string, unknown>);
  } catch (err) {
    const what = contentType === PROTOBUF ? 'protobuf' : 'JSON';
    throw new HttpError(400, Code.INVALID_ARGUMENT, `invalid ${what} ExportMetricsServiceRequest: ${(err as Error)?.message ?? String(err)}`);
  }
}

function now(): HrTime {
  const ms = Date.now();
  return [Math.floor(ms / 1000), (ms % 1000) * 1e6];
}

/**
 * The receiver without HTTP: one request body (already read) in, the response out.
 * Used by the HTTP handler, the fuzz test and the benchmark.
 */
export class OtlpMetricsReceiver {
  readonly stats: ReceiverStats = { requests: 0, failedRequests: 0, acceptedPoints: 0, rejectedPoints: 0, bytes: 0 };
  readonly maxBodyBytes: number;
  private readonly _ring: IngestTarget;

  constructor(options: OtlpReceiverOptions) {
    if (options === null || typeof options !== 'object' || typeof options.ring?.ingest !== 'function') {
      throw new TypeError('OtlpMetricsReceiver: options.ring must have an ingest(resourceMetrics) method (a RingBufferReader)');
    }
    const max = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    if (!Number.isSafeInteger(max) || max <= 0) throw new RangeError(`OtlpMetricsReceiver: maxBodyBytes must be a positive integer, got ${max}`);
    this.maxBodyBytes = max;
    this._ring = options.ring;
    if (options.meterProvider !== undefined) this._selfMetrics(options.meterProvider);
  }

  /** Requests answered, by HTTP status. */
  readonly statuses = new Map<number, number>();

  private _count(status: number): void {
    this.statuses.set(status, (this.statuses.get(status) ?? 0) + 1);
  }

  private _selfMetrics(provider: MeterProvider): void {
    const meter = provider.getMeter('fastmeter');
    meter
      .createObservableCounter('fastmeter.receiver.requests', { description: 'OTLP/HTTP export requests answered, by status', unit: '{request}' })
      .addCallback(r => {
        for (const [status, n] of this.statuses) r.observe(n, { 'http.response.status_code': status });
      });
    meter
      .createObservableCounter('fastmeter.receiver.points', { description: 'Data points received over OTLP, accepted or rejected', unit: '{point}' })
      .addCallback(r => {
        r.observe(this.stats.acceptedPoints, { result: 'accepted' });
        r.observe(this.stats.rejectedPoints, { result: 'rejected' });
      });
    meter
      .createObservableCounter('fastmeter.receiver.bytes', { description: 'Request body bytes received over OTLP (as sent)', unit: 'By' })
      .addCallback(r => r.observe(this.stats.bytes));
  }

  /** Handles one request body. Never throws. */
  async export(body: Uint8Array, headers: { contentType?: string; contentEncoding?: string }): Promise<ExportOutcome> {
    const outcome = await this._export(body, headers);
    this._count(outcome.status);
    return outcome;
  }

  private async _export(body: Uint8Array, headers: { contentType?: string; contentEncoding?: string }): Promise<ExportOutcome> {
    const contentType = mediaType(headers.contentType);
    const replyType = contentType === PROTOBUF ? PROTOBUF : JSON_TYPE;
    this.stats.requests++;
    this.stats.bytes += body.byteLength;
    try {
      if (contentType !== PROTOBUF && contentType !== JSON_TYPE) {
        throw new HttpError(415, Code.UNIMPLEMENTED, `unsupported content type ${JSON.stringify(contentType)}: use ${PROTOBUF} or ${JSON_TYPE}`);
      }
      if (body.byteLength > this.maxBodyBytes) throw new HttpError(413, Code.RESOURCE_EXHAUSTED, `body larger than ${this.maxBodyBytes} bytes`);
      const encoding = mediaType(headers.contentEncoding);
      if (encoding === 'gzip') body = await this._gunzip(body);
      else if (encoding !== '' && encoding !== 'identity') {
        throw new HttpError(415, Code.UNIMPLEMENTED, `unsupported content encoding ${JSON.stringify(encoding)}: use gzip or none`);
      }
      return this._ingest(replyType, decode(contentType, body));
    } catch (err) {
      this.stats.failedRequests++;
      if (err instanceof HttpError) return this._failure(replyType, err.status, err.code, err.message);
      diag.error(`fastmeter OTLP receiver: unexpected error: ${(err as Error)?.stack ?? String(err)}`);
      return this._failure(replyType, 500, Code.INTERNAL, `internal error: ${(err as Error)?.message ?? String(err)}`);
    }
  }

  private async _gunzip(body: Uint8Array): Promise<Uint8Array> {
    try {
      return await gunzip(body, { maxOutputLength: this.maxBodyBytes });
    } catch (err) {
      if ((err as NodeJS.ErrnoException)?.code === 'ERR_BUFFER_TOO_LARGE') {
        throw new HttpError(413, Code.RESOURCE_EXHAUSTED, `gunzipped body larger than ${this.maxBodyBytes} bytes`);
      }
      throw new HttpError(400, Code.INVALID_ARGUMENT, `invalid gzip body: ${(err as Error)?.message ?? String(err)}`);
    }
  }

  private _ingest(contentType: string, request: unknown): ExportOutcome {
    const converted = new Converter(now()).convert(request);
    let dropped = 0;
    for (const rm of converted.resourceMetrics) {
      let result: unknown;
      try {
        result = this._ring.ingest(rm);
      } catch (err) {
        throw new HttpError(500, Code.INTERNAL, `the ring refused the data: ${(err as Error)?.message ?? String(err)}`);
      }
      // A RingBufferReader says how many points it could not store (out of order, past its metric limit).
      const d = (result as { dropped?: unknown } | undefined)?.dropped;
      if (typeof d === 'number' && d > 0) dropped += d;
    }
    if (dropped > 0) {
      converted.accepted -= dropped;
      converted.rejected += dropped;
      converted.reasons.push(`${dropped} point(s) not stored by the ring (older than its latest point of the series, or past its metric limit)`);
    }
    this.stats.acceptedPoints += converted.accepted;
    this.stats.rejectedPoints += converted.rejected;
    let message: string | undefined;
    let response: Record<string, unknown> = {};
    if (converted.rejected > 0) {
      message = `${converted.rejected} data point(s) rejected: ${converted.reasons.join('; ')}`;
      response = { partialSuccess: { rejectedDataPoints: converted.rejected, errorMessage: message } };
    }
    const encoded =
      contentType === PROTOBUF
        ? ExportResponse.encode(ExportResponse.fromObject(response)).finish()
        : Buffer.from(JSON.stringify(ExportResponse.toObject(ExportResponse.fromObject(response), { longs: String })));
    return { status: 200, contentType, body: encoded, message, accepted: converted.accepted, rejected: converted.rejected };
  }

  private _failure(contentType: string, status: number, code: number, message: string): ExportOutcome {
    return { status, contentType, body: statusBody(contentType, code, message), message, accepted: 0, rejected: 0 };
  }

  /**
   * A `node:http` request listener for POST /v1/metrics. Returns false (without
   * answering) for any other path, so it can share a server with other routes.
   */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const path = (req.url ?? '').split('?')[0];
    if (path !== OTLP_METRICS_PATH) return false;
    const replyType = mediaType(req.headers['content-type']) === PROTOBUF ? PROTOBUF : JSON_TYPE;
    const reply = (status: number, body: Uint8Array, extra: Record<string, string> = {}) => {
      if (res.headersSent || res.destroyed) return;
      res.writeHead(status, { 'content-type': replyType, 'content-length': String(body.byteLength), ...extra });
      res.end(body);
    };
    const refuse = (status: number, code: number, message: string, extra: Record<string, string> = {}) => {
      this.stats.requests++;
      this.stats.failedRequests++;
      this._count(status);
      reply(status, statusBody(replyType, code, message), extra);
    };
    if (req.method !== 'POST') {
      refuse(405, Code.UNIMPLEMENTED, `${req.method} is not allowed: POST an ExportMetricsServiceRequest`, { allow: 'POST' });
      req.resume();
      return true;
    }
    const declared = Number(req.headers['content-length']);
    if (declared > this.maxBodyBytes) {
      // Answer without reading: the connection is closed after the reply.
      refuse(413, Code.RESOURCE_EXHAUSTED, `body larger than ${this.maxBodyBytes} bytes`, { connection: 'close' });
      res.once('finish', () => req.destroy());
      return true;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      if (tooLarge) return;
      size += chunk.byteLength;
      if (size > this.maxBodyBytes) {
        tooLarge = true;
        chunks.length = 0;
        refuse(413, Code.RESOURCE_EXHAUSTED, `body larger than ${this.maxBodyBytes} bytes`, { connection: 'close' });
        res.once('finish', () => req.destroy());
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', () => {}); // a client that goes away: nothing to answer
    req.on('end', () => {
      if (tooLarge) return;
      const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size);
      this.export(body, { contentType: req.headers['content-type'], contentEncoding: req.headers['content-encoding'] }).then(
        outcome => reply(outcome.status, outcome.body),
        () => reply(500, statusBody(replyType, Code.INTERNAL, 'internal error')),
      );
    });
    return true;
  }
}

export interface RunningReceiver {
  readonly url: string;
  readonly port: number;
  readonly receiver: OtlpMetricsReceiver;
  close(): Promise<void>;
}

/** Starts a standalone OTLP/HTTP receiver (default 127.0.0.1:4318). */
export async function startOtlpReceiver(options: OtlpReceiverOptions & { port?: number; host?: string }): Promise<RunningReceiver> {
  const receiver = new OtlpMetricsReceiver(options);
  const server: Server = createServer((req, res) => {
    if (!receiver.handle(req, res)) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: POST OTLP metrics to ${OTLP_METRICS_PATH}\n`);
    }
  });
  server.listen(options.port ?? 4318, options.host ?? '127.0.0.1');
  await Promise.race([once(server, 'listening'), once(server, 'error').then(([err]) => Promise.reject(err))]);
  const address = server.address();
  if (address === null || typeof address !== 'object') throw new Error('OTLP receiver has no address');
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}${OTLP_METRICS_PATH}`,
    port: address.port,
    receiver,
    close: () =>
      new Promise<void>(resolve => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
