// Shared inputs: readers, label values, histogram values, rotating attribute sets.
import { AggregationTemporality, MetricReader } from '@opentelemetry/sdk-metrics';

/** OpenTelemetry's default explicit bucket boundaries; prom-client histograms use them too, for parity. */
export const OTEL_BOUNDS = [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000];

/** Above every cardinality the benches create, on all sides (sdk-metrics and fastmeter default to 2000). */
export const CARDINALITY = 200_000;

/**
 * A MetricReader that exports nothing: registering it makes the SDK create storage, and its
 * collect() is how totals are verified. The same class serves fastmeter (which accepts
 * sdk-metrics readers) and sdk-metrics.
 */
export class BenchReader extends MetricReader {
  constructor(options = {}) {
    super({ cardinalitySelector: () => CARDINALITY, ...options });
  }
  async onForceFlush() {}
  async onShutdown() {}
}

export const deltaReader = (options = {}) => new BenchReader({ aggregationTemporalitySelector: () => AggregationTemporality.DELTA, ...options });

/**
 * Label values, each set stored twice in a runtime array: benches load them through (i & 1) * k,
 * an index that changes every iteration, so V8 cannot hoist the attribute object, a key built
 * from it or a lookup out of the loop (loop-invariant code motion: with invariant values Node 24 hoisted a key
 * concatenation out of the loop and showed 9.6 ns instead of 112 ns).
 */
const twice = values => [...values, ...values].map(s => `${s}`);
export const L1 = twice(['GET']);
export const L3 = twice(['GET', '/api/users/:id', '200']);
export const L5 = twice(['GET', '/api/users/:id', '200', 'eu-west-1', 'tenant-42']);
export const LABELS3 = ['method', 'route', 'status'];
export const LABELS5 = ['method', 'route', 'status', 'region', 'tenant'];

/** Histogram values: deterministic pseudo-random spread over the default buckets (cubed, so small values dominate). */
export const HV = new Float64Array(1024);
{
  let s = 42;
  for (let i = 0; i < HV.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    HV[i] = (s / 2 ** 32) ** 3 * 3000;
  }
}

/** Up-down values: -1, +3, ... sums to exactly n over an even number of records. */
export const UD = Float64Array.from([-1, 3]);

/**
 * Rotating high cardinality: ROT_COMBOS distinct {method, route, status} sets whose value strings
 * are built once, visited in a shuffled order (ROT_ORDER[i & 4095]) that covers every combination.
 */
export const ROT_COMBOS = 1000;
export const ROT_METHOD = [];
export const ROT_ROUTE = [];
export const ROT_STATUS = [];
{
  const methods = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'];
  for (let c = 0; c < ROT_COMBOS; c++) {
    ROT_METHOD.push(methods[c % 5]);
    ROT_ROUTE.push(`/api/v1/resource/${(c / 5) | 0}`);
    ROT_STATUS.push(String(200 + (c % 7)));
  }
}
export const ROT_ORDER = new Uint16Array(4096);
{
  let s = 7;
  const rand = k => ((s = (s * 1103515245 + 12345) >>> 0) % k) | 0;
  for (let start = 0; start < ROT_ORDER.length; start += ROT_COMBOS) {
    const perm = Array.from({ length: ROT_COMBOS }, (_, i) => i);
    for (let i = perm.length - 1; i > 0; i--) {
      const j = rand(i + 1);
      [perm[i], perm[j]] = [perm[j], perm[i]];
    }
    for (let i = 0; i < ROT_COMBOS && start + i < ROT_ORDER.length; i++) ROT_ORDER[start + i] = perm[i];
  }
}

/**
 * The 100k distinct attribute sets of the collect and memory suites: 10 methods x 100 routes x
 * 100 statuses, value strings built up front (an application's routes and status codes exist
 * before it records).
 */
export function seriesLabels() {
  const methods = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'TRACE', 'CONNECT', 'PURGE'];
  const routes = Array.from({ length: 100 }, (_, i) => `/api/v1/resource/${i}`);
  const statuses = Array.from({ length: 100 }, (_, i) => String(200 + i));
  return {
    method: i => methods[i % 10],
    route: i => routes[((i / 10) | 0) % 100],
    status: i => statuses[((i / 1000) | 0) % 100],
  };
}
