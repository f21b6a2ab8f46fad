// The official OTLP schema, as OpenTelemetry JS compiled it with protobufjs
// (@opentelemetry/otlp-transformer@0.57.2, installed as `otlp-schema`;
// real-peers.md §5): decodes protobuf bodies and checks JSON bodies.
import { createRequire } from 'node:module';

interface ProtoType {
  decode(body: Uint8Array): object;
  fromObject(object: object): object;
  toObject(message: object, options: object): Record<string, unknown>;
  verify(message: object): string | null;
}

const require = createRequire(import.meta.url);
const Request: ProtoType = require('otlp-schema/build/src/generated/root.js').opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;

/** 64-bit integers as decimal strings, enums as numbers, bytes as base64. */
const VIEW = { longs: String, enums: Number, bytes: String } as const;

/** A protobuf ExportMetricsServiceRequest decoded and verified by the official schema. */
export function decodeProtobuf(body: Uint8Array): Record<string, unknown> {
  const message = Request.decode(body);
  const problem = Request.verify(message);
  if (problem !== null) throw new Error(`schema verify: ${problem}`);
  return Request.toObject(message, VIEW);
}

/** An OTLP/JSON body read into the schema's message (unknown keys are an error). */
export function decodeJson(body: Uint8Array): Record<string, unknown> {
  const json = JSON.parse(Buffer.from(body).toString('utf8'));
  const message = Request.fromObject(json);
  const problem = Request.verify(message);
  if (problem !== null) throw new Error(`schema verify: ${problem}`);
  return Request.toObject(message, VIEW);
}
