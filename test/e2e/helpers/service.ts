// examples/http-service as a child process (its built entry point, exactly as
// `npm run demo` runs it, without the random load generator), and a known
// request mix sent to it from the test, with the answers tallied by the client.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Daemon, fetchWithTimeout } from './proc.js';

const MAIN = fileURLToPath(new URL('../../../examples/http-service/src/main.mjs', import.meta.url));
const SDK_BUILD = fileURLToPath(new URL('../../../packages/sdk/dist/esm/index.js', import.meta.url));
const NODE_BUILD = fileURLToPath(new URL('../../../packages/node/dist/esm/register.js', import.meta.url));

export interface Service {
  daemon: Daemon;
  /** http://127.0.0.1:<port> */
  base: string;
  metricsUrl: string;
}

/** Starts the example on a free loopback port; `env` adds variables (OTLP endpoint). */
export async function startService(env: NodeJS.ProcessEnv = {}): Promise<Service> {
  // The example runs outside vitest, so it loads @fastmeter/sdk's build, not its sources.
  for (const build of [SDK_BUILD, NODE_BUILD])
    if (!existsSync(build)) throw new Error(`${build} is missing: run \`pnpm build\` first (npm test and .ci/run do)`);
  // @fastmeter/node's runtime metrics are off unless `env` turns them on: their series change between
  // two scrapes (GC kinds, event-loop delay after 5 samples), and these tests compare whole scrapes.
  const daemon = Daemon.start('examples/http-service', process.execPath, [MAIN, '--port=0', '--host=127.0.0.1'], {
    ...process.env,
    FASTMETER_RUNTIME_METRICS: 'false',
    ...env,
  });
  const [, metricsUrl] = await daemon.waitForOutput(/Prometheus metrics: (http:\/\/127\.0\.0\.1:\d+\/metrics)/, 20_000);
  return { daemon, base: metricsUrl.replace(/\/metrics$/, ''), metricsUrl };
}

export interface RequestKind {
  method: 'GET' | 'POST';
  path: (i: number) => string;
  /** The `http.route` the service records for it. */
  route: string;
  count: number;
}

/** What the service should record, seen from the client. */
export interface Tally {
  /** Requests sent per route (all answered). */
  byRoute: Record<string, number>;
  /** Answers per `route status`, e.g. `/api/orders 503`. */
  byRouteStatus: Record<string, number>;
  byMethod: Record<string, number>;
  total: number;
}

export const MIX: RequestKind[] = [
  { method: 'GET', path: i => `/api/users/${1 + (i % 97)}`, route: '/api/users/:id', count: 60 },
  { method: 'POST', path: () => '/api/orders', route: '/api/orders', count: 40 },
  { method: 'GET', path: () => '/healthz', route: '/healthz', count: 12 },
  { method: 'GET', path: i => `/missing/${i}`, route: 'unmatched', count: 7 },
];

/** Sends every request of `mix` (interleaved, `concurrency` in flight) and tallies the answers. */
export async function sendMix(base: string, mix: RequestKind[] = MIX, concurrency = 12): Promise<Tally> {
  const queue: RequestKind[] = [];
  const indexes: number[] = [];
  const longest = Math.max(...mix.map(k => k.count));
  for (let i = 0; i < longest; i++) {
    for (const kind of mix) {
      if (i < kind.count) {
        queue.push(kind);
        indexes.push(i);
      }
    }
  }
  const tally: Tally = { byRoute: {}, byRouteStatus: {}, byMethod: {}, total: 0 };
  let next = 0;
  const worker = async () => {
    while (next < queue.length) {
      const at = next++;
      const kind = queue[at];
      const res = await fetchWithTimeout(`${base}${kind.path(indexes[at])}`, { method: kind.method }, 10_000);
      await res.arrayBuffer();
      const key = `${kind.route} ${res.status}`;
      tally.byRouteStatus[key] = (tally.byRouteStatus[key] ?? 0) + 1;
      tally.byRoute[kind.route] = (tally.byRoute[kind.route] ?? 0) + 1;
      tally.byMethod[kind.method] = (tally.byMethod[kind.method] ?? 0) + 1;
      tally.total++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return tally;
}

/** Adds two tallies (a second round of requests). */
export function addTallies(a: Tally, b: Tally): Tally {
  const add = (x: Record<string, number>, y: Record<string, number>) => {
    const out = { ...x };
    for (const [k, v] of Object.entries(y)) out[k] = (out[k] ?? 0) + v;
    return out;
  };
  return {
    byRoute: add(a.byRoute, b.byRoute),
    byRouteStatus: add(a.byRouteStatus, b.byRouteStatus),
    byMethod: add(a.byMethod, b.byMethod),
    total: a.total + b.total,
  };
}

/**
 * Lets the service settle: its handlers record right after answering, and its
 * queue-depth gauge is lowered by 50 ms timers after each accepted order.
 */
export function settle(ms = 250): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms));
}
