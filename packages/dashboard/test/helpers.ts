import { execFile } from 'node:child_process';
import type { ResourceMetrics } from '../src/receiver/types.js';

/** A stand-in for the ring that keeps what was ingested. */
export class CaptureRing {
  readonly received: ResourceMetrics[] = [];
  ingest(rm: ResourceMetrics): void {
    this.received.push(rm);
  }
}

export function runNode(args: string[], options: { cwd?: string; timeoutMs?: number } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise(resolve => {
    execFile(process.execPath, args, { cwd: options.cwd, timeout: options.timeoutMs ?? 30_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** Metric → attribute key → value, for order-independent comparisons. */
export function flatten(rms: { scopeMetrics: any[] }[]): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const rm of rms) {
    for (const sm of rm.scopeMetrics) {
      for (const m of sm.metrics) {
        const key = `${sm.scope.name}/${m.descriptor.name}`;
        out[key] ??= {};
        for (const p of m.dataPoints) out[key][attributeKey(p.attributes)] = p.value;
      }
    }
  }
  return out;
}

export function attributeKey(attrs: Record<string, unknown>): string {
  return JSON.stringify(
    Object.keys(attrs)
      .sort()
      .map(k => [k, attrs[k]]),
  );
}
