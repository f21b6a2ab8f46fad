// A load generator for the fleet (runs in the primary): a fixed mix of
// requests over keep-alive connections, tallied by what the client saw.
import http from 'node:http';

const CATEGORIES = ['books', 'games', 'garden'];

/** The i-th request of the mix. */
function requestOf(i) {
  switch (i % 4) {
    case 0:
      return { method: 'GET', path: '/api/items', route: '/api/items' };
    case 1:
      return { method: 'GET', path: `/api/items/${Math.floor(i / 4) % 50}`, route: '/api/items/:id' };
    case 2:
      return {
        method: 'POST',
        path: `/api/orders?items=${1 + (i % 3)}&category=${CATEGORIES[i % 3]}`,
        route: '/api/orders',
        items: 1 + (i % 3),
        category: CATEGORIES[i % 3],
      };
    default:
      return { method: 'GET', path: '/nowhere', route: 'unmatched' };
  }
}

/**
 * Sends `count` requests to 127.0.0.1:`port`, `concurrency` at a time. Calls `onEach(done)` after
 * each response. Resolves with the tally: `requests` by "METHOD route status", `items` by category.
 */
export async function sendLoad(port, count, { concurrency = 8, onEach = () => {} } = {}) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const tally = { requests: {}, items: {} };
  let next = 0;
  let done = 0;
  const one = req =>
    new Promise((resolve, reject) => {
      const r = http.request({ host: '127.0.0.1', port, method: req.method, path: req.path, agent }, res => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      });
      r.on('error', reject);
      r.setTimeout(10_000, () => r.destroy(new Error(`${req.method} ${req.path}: no answer within 10 s`)));
      r.end();
    });
  async function lane() {
    while (next < count) {
      const req = requestOf(next++);
      let status;
      // A worker retiring closes idle keep-alive sockets: a request that met one is sent again.
      for (let attempt = 0; ; attempt++) {
        try {
          status = await one(req);
          break;
        } catch (err) {
          if (attempt >= 3) throw err;
        }
      }
      const key = `${req.method} ${req.route} ${status}`;
      tally.requests[key] = (tally.requests[key] ?? 0) + 1;
      if (req.items && status === 201) tally.items[req.category] = (tally.items[req.category] ?? 0) + req.items;
      onEach(++done);
    }
  }
  await Promise.all(Array.from({ length: concurrency }, lane));
  agent.destroy();
  return tally;
}
