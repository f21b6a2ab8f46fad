// A loopback OTLP metrics receiver (127.0.0.1, port 0) that a test scripts
// through phases, over HTTP (JSON and protobuf bodies) and gRPC. Requests are
// decoded by the protobufjs module OpenTelemetry JS generated from the
// official OTLP .proto files (@opentelemetry/otlp-transformer@0.57.2,
// installed as `otlp-schema`), verified, and kept only when acknowledged: a
// request the receiver did not answer with success was not accepted, so the
// totals a test compares are what a real backend would have stored.
import { once } from 'node:events';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { createRequire } from 'node:module';
import { gunzipSync } from 'node:zlib';
import * as grpc from '@grpc/grpc-js';

interface Schema {
  decode(body: Uint8Array): object;
  encode(message: object): { finish(): Uint8Array };
  create(properties?: object): object;
  fromObject(object: object): object;
  toObject(message: object, options: object): Record<string, any>;
  verify(message: object): string | null;
}

const require = createRequire(import.meta.url);
const collector = require('otlp-schema/build/src/generated/root.js').opentelemetry.proto.collector.metrics.v1;
const Request: Schema = collector.ExportMetricsServiceRequest;
const Response: Schema = collector.ExportMetricsServiceResponse;
/** 64-bit integers as numbers (the values in these tests are small), enums as numbers. */
const VIEW = { longs: Number, enums: Number, defaults: false } as const;

export type Phase = 'healthy' | 'error500' | 'unavailable' | 'hang' | 'reset' | 'slow';
export type Decoded = Record<string, any>;

export interface Seen {
  phase: Phase;
  contentType: string;
}

function checked(message: object): Decoded {
  const error = Request.verify(message);
  if (error !== null) throw new Error(`OTLP request does not verify: ${error}`);
  return Request.toObject(message, VIEW);
}

export function decodeHttp(contentType: string, body: Buffer): Decoded {
  if (contentType === 'application/x-protobuf') return checked(Request.decode(body));
  if (contentType === 'application/json') return checked(Request.fromObject(JSON.parse(body.toString('utf8'))));
  throw new Error(`unsupported content-type ${contentType}`);
}

/** What a backend stored, and every request it saw. */
abstract class Scripted {
  phase: Phase = 'healthy';
  /** Delay of the `slow` phase, ms. */
  slowMillis = 150;
  /** Retry-After of the `unavailable` phase, seconds. */
  retryAfterSeconds = 1;
  readonly accepted: Decoded[] = [];
  readonly seen: Seen[] = [];
  readonly errors: string[] = [];

  requestsIn(phase: Phase): number {
    return this.seen.filter(s => s.phase === phase).length;
  }
}

export class HttpReceiver extends Scripted {
  private readonly _hung = new Set<ServerResponse>();

  private constructor(
    private readonly _server: Server,
    readonly url: string,
  ) {
    super();
  }

  static async start(): Promise<HttpReceiver> {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const address = server.address();
    if (address === null || typeof address !== 'object') throw new Error('no address');
    const receiver = new HttpReceiver(server, `http://127.0.0.1:${address.port}/v1/metrics`);
    server.on('request', (req, res) => receiver._handle(req, res));
    return receiver;
  }

  async close(): Promise<void> {
    for (const res of this._hung) res.destroy();
    this._server.closeAllConnections();
    await new Promise(resolve => this._server.close(resolve));
  }

  private _handle(req: IncomingMessage, res: ServerResponse): void {
    const phase = this.phase;
    const contentType = (req.headers['content-type'] ?? '').split(';')[0].trim();
    this.seen.push({ phase, contentType });
    if (phase === 'reset') {
      req.socket.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      switch (phase) {
        case 'error500':
          res.writeHead(500).end('backend error');
          return;
        case 'unavailable':
          res.writeHead(503, { 'retry-after': String(this.retryAfterSeconds) }).end();
          return;
        case 'hang':
          this._hung.add(res);
          res.on('close', () => this._hung.delete(res));
          return;
      }
      const accept = () => {
        try {
          let body = Buffer.concat(chunks);
          if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
          const decoded = decodeHttp(contentType, body);
          res
            .writeHead(200, { 'content-type': contentType })
            .end(contentType === 'application/json' ? '{}' : Buffer.from(Response.encode(Response.create({})).finish()));
          // Stored once the answer is on its way (a client that gave up meanwhile would send it again).
          if (!res.destroyed) this.accepted.push(decoded);
        } catch (err) {
          this.errors.push((err as Error).message);
          res.writeHead(400).end((err as Error).message);
        }
      };
      if (phase === 'slow') setTimeout(accept, this.slowMillis);
      else accept();
    });
  }
}

const SERVICE = {
  Export: {
    path: '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export',
    requestStream: false,
    responseStream: false,
    requestSerialize: (m: object) => Buffer.from(Request.encode(m).finish()),
    requestDeserialize: (b: Buffer) => Request.decode(b),
    responseSerialize: (m: object) => Buffer.from(Response.encode(m).finish()),
    responseDeserialize: (b: Buffer) => Response.decode(b),
  },
} as const;

export class GrpcReceiver extends Scripted {
  private readonly _hung = new Set<() => void>();

  private constructor(
    private readonly _server: grpc.Server,
    readonly url: string,
  ) {
    super();
  }

  static async start(): Promise<GrpcReceiver> {
    const server = new grpc.Server();
    let receiver: GrpcReceiver | undefined;
    server.addService(SERVICE as unknown as grpc.ServiceDefinition, {
      Export: (call: grpc.ServerUnaryCall<object, object>, callback: grpc.sendUnaryData<object>) => (receiver as GrpcReceiver)._handle(call, callback),
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    receiver = new GrpcReceiver(server, `http://127.0.0.1:${port}`);
    return receiver;
  }

  async close(): Promise<void> {
    for (const release of this._hung) release();
    await new Promise<void>(resolve => {
      this._server.tryShutdown(() => resolve());
      setTimeout(() => {
        this._server.forceShutdown();
        resolve();
      }, 2000).unref();
    });
  }

  private _handle(call: grpc.ServerUnaryCall<object, object>, callback: grpc.sendUnaryData<object>): void {
    const phase = this.phase;
    this.seen.push({ phase, contentType: 'application/grpc' });
    switch (phase) {
      case 'error500':
        callback({ code: grpc.status.INTERNAL, details: 'backend error' });
        return;
      case 'unavailable':
      case 'reset':
        callback({ code: grpc.status.UNAVAILABLE, details: 'unavailable' });
        return;
      case 'hang': {
        const release = () => callback({ code: grpc.status.CANCELLED, details: 'released' });
        this._hung.add(release);
        call.on('cancelled', () => this._hung.delete(release));
        return;
      }
    }
    const accept = () => {
      try {
        const decoded = checked(call.request);
        callback(null, Response.create({}));
        if (!call.cancelled) this.accepted.push(decoded);
      } catch (err) {
        this.errors.push((err as Error).message);
        callback({ code: grpc.status.INVALID_ARGUMENT, details: (err as Error).message });
      }
    };
    if (phase === 'slow') setTimeout(accept, this.slowMillis);
    else accept();
  }
}

// ---- reading what was stored --------------------------------------------------------

/** Every data point of `name` in the accepted requests, with its attributes as an object. */
export function pointsOf(requests: readonly Decoded[], name: string): { attributes: Record<string, unknown>; point: Decoded; temporality: number }[] {
  const out: { attributes: Record<string, unknown>; point: Decoded; temporality: number }[] = [];
  for (const request of requests)
    for (const rm of request.resourceMetrics ?? [])
      for (const sm of rm.scopeMetrics ?? [])
        for (const m of sm.metrics ?? []) {
          if (m.name !== name) continue;
          const data = m.sum ?? m.gauge ?? m.histogram ?? m.exponentialHistogram;
          for (const p of data.dataPoints ?? []) {
            const attributes: Record<string, unknown> = {};
            for (const kv of p.attributes ?? []) attributes[kv.key] = Object.values(kv.value ?? {})[0];
            out.push({ attributes, point: p, temporality: data.aggregationTemporality ?? 0 });
          }
        }
  return out;
}

/** Sum of a counter's values over every accepted request (delta temporality: the total). */
export function deltaTotal(requests: readonly Decoded[], name: string): number {
  let n = 0;
  for (const { point } of pointsOf(requests, name)) n += Number(point.asInt ?? point.asDouble ?? 0);
  return n;
}

/** Sum of a histogram's counts over every accepted request. */
export function deltaCount(requests: readonly Decoded[], name: string): number {
  let n = 0;
  for (const { point } of pointsOf(requests, name)) n += Number(point.count ?? 0);
  return n;
}
