// A small built-in load generator for the demo: a few concurrent loops of
// realistic requests against the service, over keep-alive connections.
import { Agent, request } from 'node:http';

const PATHS = [
  ['GET', () => `/api/users/${1 + Math.floor(Math.random() * 500)}`, 6],
  ['POST', () => '/api/orders', 3],
  ['GET', () => '/healthz', 1],
  ['GET', () => '/nope', 0.2],
];
const TOTAL = PATHS.reduce((s, p) => s + p[2], 0);

function pick() {
  let r = Math.random() * TOTAL;
  for (const p of PATHS) if ((r -= p[2]) <= 0) return p;
  return PATHS[0];
}

function once(agent, host, port) {
  const [method, path] = pick();
  return new Promise(resolve => {
    const req = request({ agent, host, port, method, path: path(), timeout: 5000 }, res => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', () => resolve(0));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

/** Runs `concurrency` request loops until stop() is called. Returns { stop, stats }. */
export function startLoad({ host, port, concurrency = 16 }) {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const stats = { sent: 0, byStatus: {} };
  let running = true;
  const loops = Array.from({ length: concurrency }, async () => {
    while (running) {
      const status = await once(agent, host, port);
      stats.sent++;
      stats.byStatus[status] = (stats.byStatus[status] ?? 0) + 1;
    }
  });
  return {
    stats,
    async stop() {
      running = false;
      await Promise.all(loops);
      agent.destroy();
    },
  };
}
