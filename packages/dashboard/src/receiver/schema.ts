// The OTLP message types, built by protobufjs from the official schema
// (otlp-schema.ts, generated from the opentelemetry-proto files). protobufjs
// generates each type's encoder and decoder from the descriptor on first use.
import Long from 'long';
import protobuf from 'protobufjs/light.js';
import { OTLP_SCHEMA } from './otlp-schema.js';
import { routeKeyValues } from './reader.js';

// 64-bit fields (timestamps in ns, counts, int values) are exact only as Longs:
// a double holds 2^53. protobufjs finds long.js with a `require` that bundlers and
// test runners can hide, and then silently decodes doubles; give it the Long class
// explicitly in that case (what protobufjs would have loaded itself).
if (!protobuf.util.Long) {
  protobuf.util.Long = Long as unknown as typeof protobuf.util.Long;
  protobuf.configure();
}

export type Message = protobuf.Message<Record<string, any>> & Record<string, any>;

const root = protobuf.Root.fromJSON(OTLP_SCHEMA as unknown as protobuf.INamespace);

// The .proto files that npm ships (opentelemetry-proto v0.19) predate three
// additions of later releases that a receiver must know. They are added here
// through protobufjs' reflection API, with the field numbers of opentelemetry-proto
// v1.x, so protobufjs still does all encoding and decoding:
// - ExportMetricsServiceResponse.partial_success (field 1, v0.20): the answer to a
//   request whose points were partly rejected
//   (https://opentelemetry.io/docs/specs/otlp/#partial-success-1);
// - ExponentialHistogramDataPoint.zero_threshold (field 14, v0.20);
// - google.rpc.Status, the body of every OTLP/HTTP error response
//   (https://opentelemetry.io/docs/specs/otlp/#failures-1), which the OTLP files
//   import from googleapis.
const collector = root.lookup('opentelemetry.proto.collector.metrics.v1') as protobuf.Namespace;
collector.add(
  new protobuf.Type('ExportMetricsPartialSuccess')
    .add(new protobuf.Field('rejectedDataPoints', 1, 'int64'))
    .add(new protobuf.Field('errorMessage', 2, 'string')),
);
root
  .lookupType('opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse')
  .add(new protobuf.Field('partialSuccess', 1, 'ExportMetricsPartialSuccess'));
root.lookupType('opentelemetry.proto.metrics.v1.ExponentialHistogramDataPoint').add(new protobuf.Field('zeroThreshold', 14, 'double'));
root.define('google.rpc').add(
  new protobuf.Type('Status')
    .add(new protobuf.Field('code', 1, 'int32'))
    .add(new protobuf.Field('message', 2, 'string'))
    .add(new protobuf.Field('details', 3, 'bytes', 'repeated')),
);
root.resolveAll();
// KeyValue messages (attributes) decoded through an OtlpReader are looked up by
// their bytes first (reader.ts): protobufjs' generated decoder still decodes each
// one the first time it is seen.
routeKeyValues(root.lookupType('opentelemetry.proto.common.v1.KeyValue'));

export const ExportRequest = root.lookupType('opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest');
export const ExportResponse = root.lookupType('opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse');
export const Status = root.lookupType('google.rpc.Status');
