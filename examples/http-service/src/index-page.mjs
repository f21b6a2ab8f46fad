// GET / of the service: a small page that links what there is to see. The entries are plain
// data: whatever adds something to look at (a dashboard, another endpoint) adds an entry to the
// list main.mjs passes to createApp, and the page shows it.

/** What the demo always has. `href` is a path of this service or an absolute URL. */
export const DEMO_LINKS = [
  { href: '/metrics', title: 'Prometheus metrics', text: 'everything the service records, as the standard PrometheusExporter serves it' },
  { href: '/api/users/1', title: 'GET /api/users/:id', text: 'a route of the service (each request is recorded in http.server.request.duration)' },
  { href: '/healthz', title: 'GET /healthz', text: 'the health check' },
];

const html = s => String(s).replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

/** The page for `links` ({ href, title, text }) and `notes` (plain sentences). */
export function indexPage(links, notes = []) {
  const items = links.map(l => `    <li><a href="${html(l.href)}">${html(l.title)}</a>: ${html(l.text)}</li>`).join('\n');
  const extra = notes.map(n => `  <p>${html(n)}</p>`).join('\n');
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>fastmeter demo: http-service</title>
  <style>body { font: 16px/1.5 system-ui, sans-serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem; } code { font-size: 90%; }</style>
</head>
<body>
  <h1>fastmeter demo: http-service</h1>
  <p>A plain <code>node:http</code> service instrumented with <code>@opentelemetry/api</code> only, on
  <code>FastMeterProvider</code>, with a load generator calling it.</p>
  <ul>
${items}
  </ul>
${extra}
</body>
</html>
`;
}
