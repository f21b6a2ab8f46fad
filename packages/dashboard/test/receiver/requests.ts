// OTLP request bodies for tests, encoded with the receiver's schema.
import { gzipSync } from 'node:zlib';
import { ExportRequest, ExportResponse, Status } from '../../src/receiver/schema.js';

const T0 = '1700000000000000000';
const T1 = '1700000010123456789';

export const kv = (key: string, value: Record<string, unknown>) => ({ key, value });

/** A request with every kind of point and attribute value. */
export function richRequest(): Record<string, any> {
  return {
    resourceMetrics: [
      {
        resource: { attributes: [kv('service.name', { stringValue: 'svc' }), kv('service.instance.id', { stringValue: 'i-1' })] },
        scopeMetrics: [
          {
            scope: { name: 'lib', version: '2.0' },
            metrics: [
              {
                name: 'requests',
                unit: '{request}',
                sum: {
                  aggregationTemporality: 2,
                  isMonotonic: true,
                  dataPoints: [
                    { attributes: [kv('route', { stringValue: '/a' }), kv('ok', { boolValue: true })], startTimeUnixNano: T0, timeUnixNano: T1, asInt: '12' },
                    { attributes: [kv('route', { stringValue: '/b' }), kv('n', { intValue: '7' })], startTimeUnixNano: T0, timeUnixNano: T1, asDouble: 2.5 },
                  ],
                },
              },
              {
                name: 'temperature',
                gauge: {
                  dataPoints: [
                    { attributes: [kv('tags', { arrayValue: { values: [{ stringValue: 'x' }, { doubleValue: 1.5 }] } })], timeUnixNano: T1, asDouble: -3 },
                  ],
                },
              },
              {
                name: 'latency',
                histogram: {
                  aggregationTemporality: 1,
                  dataPoints: [
                    { startTimeUnixNano: T0, timeUnixNano: T1, count: '6', sum: 12.5, min: 0.5, max: 9, bucketCounts: ['1', '2', '3'], explicitBounds: [1, 5] },
                  ],
                },
              },
              {
                name: 'sizes',
                exponentialHistogram: {
                  aggregationTemporality: 2,
                  dataPoints: [
                    {
                      startTimeUnixNano: T0,
                      timeUnixNano: T1,
                      count: '5',
                      sum: 40,
                      scale: 2,
                      zeroCount: '1',
                      positive: { offset: 3, bucketCounts: ['2', '2'] },
                    },
                  ],
                },
              },
            ],
          },
        ],
      },
    ],
  };
}

export function protobufBody(request: Record<string, any>): Buffer {
  return Buffer.from(ExportRequest.encode(ExportRequest.fromObject(request)).finish());
}

export function jsonBody(request: Record<string, any>): Buffer {
  return Buffer.from(JSON.stringify(request));
}

export const gzip = (body: Uint8Array) => gzipSync(body);

export function decodeResponse(contentType: string, body: Uint8Array): Record<string, any> {
  if (contentType === 'application/x-protobuf') return ExportResponse.toObject(ExportResponse.decode(body), { longs: Number });
  return JSON.parse(Buffer.from(body).toString('utf8'));
}

export function decodeStatus(contentType: string, body: Uint8Array): { code: number; message: string } {
  if (contentType === 'application/x-protobuf') return Status.toObject(Status.decode(body)) as { code: number; message: string };
  return JSON.parse(Buffer.from(body).toString('utf8'));
}
