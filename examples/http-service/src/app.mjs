// The service: plain node:http, instrumented only through @opentelemetry/api.
import { createServer } from 'node:http';
import { ValueType, metrics } from '@opentelemetry/api';
import { DEMO_LINKS, indexPage } from './index-page.mjs';

// Semantic-convention bucket boundaries for HTTP durations, in seconds.
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

/**
 * Creates the service. `metricsHandler(req, res)` serves GET /metrics; GET / is a page linking
 * `links` (index-page.mjs) with `notes` below them.
 */
export function createApp({ metricsHandler, links = DEMO_LINKS, notes = [] }) {
  const index = indexPage(links, notes);
  const meter = metrics.getMeter('example.http-service', '1.0.0');
  const duration = meter.createHistogram('http.server.request.duration', {
    description: 'Duration of HTTP server requests.',
    unit: 's',
    advice: { explicitBucketBoundaries: DURATION_BUCKETS },
  });
  const active = meter.createUpDownCounter('http.server.active_requests', {
    description: 'Number of active HTTP server requests.',
    unit: '{request}',
    valueType: ValueType.INT,
  });
  const bodySize = meter.createHistogram('http.server.response.body.size', { unit: 'By', valueType: ValueType.INT });
  const orders = meter.createCounter('app.orders.created', { description: 'Orders accepted.', unit: '{order}', valueType: ValueType.INT });
  const queueDepth = meter.createGauge('app.queue.depth', { description: 'Orders waiting for fulfilment.', unit: '{order}', valueType: ValueType.INT });
  // Process memory, CPU, event loop, heap and GC come from @fastmeter/node's runtime metrics.

  let queued = 0;
  const routes = [
    { method: 'GET', pattern: /^\/api\/users\/\d+$/, route: '/api/users/:id', handle: () => [200, { id: 1, name: 'Ada' }] },
    {
      method: 'POST',
      pattern: /^\/api\/orders$/,
      route: '/api/orders',
      handle: () => {
        if (Math.random() < 0.05) return [503, { error: 'busy' }];
        queued++;
        orders.add(1, { 'order.channel': Math.random() < 0.7 ? 'web' : 'mobile' });
        queueDepth.record(queued);
        setTimeout(() => queueDepth.record(--queued), 50).unref();
        return [201, { ok: true }];
      },
    },
    { method: 'GET', pattern: /^\/healthz$/, route: '/healthz', handle: () => [200, { ok: true }] },
  ];

  return createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/metrics') return metricsHandler(req, res);
    if (req.method === 'GET' && (req.url === '/' || req.url === '/index.html')) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(index);
      return;
    }
    const started = performance.now();
    const match = routes.find(r => r.method === req.method && r.pattern.test(req.url.split('?')[0]));
    const route = match?.route ?? 'unmatched';
    active.add(1, { 'http.request.method': req.method });
    // Simulated work: most requests are quick, a few are slow.
    const work = Math.random() < 0.9 ? Math.random() * 20 : 50 + Math.random() * 400;
    setTimeout(() => {
      const [status, body] = match ? match.handle() : [404, { error: 'not found' }];
      const payload = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json' }).end(payload);
      const attributes = { 'http.request.method': req.method, 'http.route': route, 'http.response.status_code': status };
      duration.record((performance.now() - started) / 1000, attributes);
      // The size histogram keeps method and route only.
      bodySize.record(Buffer.byteLength(payload), { 'http.request.method': req.method, 'http.route': route });
      active.add(-1, { 'http.request.method': req.method });
    }, work);
  });
}
