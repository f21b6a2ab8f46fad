// A worker of the fleet: a plain node:http service instrumented only through
// @opentelemetry/api. Its FastMeterProvider has one reader, a ClusterWorker,
// which sends what changed to the primary every second. The primary asks a
// worker to leave with a 'retire' message: it stops accepting connections,
// finishes what it has, sends its last sync (provider.shutdown()) and exits, so
// nothing it recorded is lost.
import { createServer } from 'node:http';
import { ValueType, metrics } from '@opentelemetry/api';
import { FastMeterProvider } from '@fastmeter/sdk';
import { ClusterWorker } from '@fastmeter/cluster';

const provider = new FastMeterProvider({ readers: [new ClusterWorker({ intervalMs: 1000 })] });
metrics.setGlobalMeterProvider(provider);

const meter = metrics.getMeter('example.cluster', '1.0.0');
const requests = meter.createCounter('http.server.requests', { description: 'HTTP requests served.', unit: '{request}', valueType: ValueType.INT });
const duration = meter.createHistogram('http.server.request.duration', {
  description: 'Duration of HTTP server requests.',
  unit: 's',
  advice: { explicitBucketBoundaries: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1] },
});
const active = meter.createUpDownCounter('http.server.active_requests', { description: 'Requests in progress.', unit: '{request}', valueType: ValueType.INT });
const itemsSold = meter.createCounter('shop.items.sold', { description: 'Items in accepted orders.', unit: '{item}', valueType: ValueType.INT });

const ROUTES = [
  { method: 'GET', pattern: /^\/api\/items$/, route: '/api/items', handle: () => 200 },
  { method: 'GET', pattern: /^\/api\/items\/\d+$/, route: '/api/items/:id', handle: url => (Number(url.split('/').pop()) % 10 === 0 ? 404 : 200) },
  {
    method: 'POST',
    pattern: /^\/api\/orders$/,
    route: '/api/orders',
    handle: (_, query) => {
      itemsSold.add(Number(query.get('items') ?? 1), { 'shop.category': query.get('category') ?? 'misc' });
      return 201;
    },
  },
];

const server = createServer((req, res) => {
  const started = performance.now();
  const [path, search] = req.url.split('?');
  const match = ROUTES.find(r => r.method === req.method && r.pattern.test(path));
  const attrs = { 'http.request.method': req.method };
  active.add(1, attrs);
  const status = match ? match.handle(path, new URLSearchParams(search)) : 404;
  res.writeHead(status, { 'content-type': 'text/plain' }).end(`${status}\n`);
  active.add(-1, attrs);
  const attributes = { 'http.request.method': req.method, 'http.route': match?.route ?? 'unmatched', 'http.response.status_code': status };
  requests.add(1, attributes);
  duration.record((performance.now() - started) / 1000, attributes);
});
server.keepAliveTimeout = 1000;
server.listen(Number(process.env.HTTP_PORT ?? 8080), process.env.HTTP_HOST ?? '127.0.0.1');

process.on('message', async message => {
  if (message?.cmd !== 'retire') return;
  await new Promise(resolve => server.close(resolve));
  await provider.shutdown(); // the last sync: everything this worker recorded reaches the primary
  process.exit(0);
});
