// The receiver's schema is what protobufjs makes of the official OTLP .proto
// files: regenerating otlp-schema.ts from them gives the committed file.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExportRequest, ExportResponse } from '../../src/receiver/schema.js';

describe('OTLP schema', () => {
  it('is generated from the official .proto files (scripts/otlp-schema.mjs --check)', () => {
    const out = execFileSync(process.execPath, [join(import.meta.dirname, '../../scripts/otlp-schema.mjs'), '--check'], { encoding: 'utf8' });
    expect(out).toMatch(/up to date/);
  });

  it('knows the request and the partial-success response', () => {
    expect(Object.keys(ExportRequest.fields)).toEqual(['resourceMetrics']);
    expect(Object.keys(ExportResponse.fields)).toEqual(['partialSuccess']);
    const encoded = ExportResponse.encode(ExportResponse.fromObject({ partialSuccess: { rejectedDataPoints: 3, errorMessage: 'x' } })).finish();
    // field 1 (partial_success), length-delimited; inside: field 1 varint 3, field 2 "x"
    expect([...encoded]).toEqual([0x0a, 0x05, 0x08, 0x03, 0x12, 0x01, 0x78]);
  });
});
