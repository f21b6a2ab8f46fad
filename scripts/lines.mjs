// The OpenTelemetry lines fastmeter is tested against. Line 2 is the workspace
// as committed (pnpm-workspace.yaml's catalog). Line 3 is the same workspace
// with the catalog swapped, installed and run on Node 24.
export const LINES = {
  2: {
    label: 'Node 20 + @opentelemetry/sdk-metrics 2.x, exporters 0.22x',
    node: 'system',
  },
  3: {
    label: 'Node 24 + @opentelemetry/sdk-metrics 3.x, exporters 0.30x',
    node: '24',
    catalog: {
      '@opentelemetry/api': '1.10.0',
      '@opentelemetry/core': '3.1.1',
      '@opentelemetry/resources': '3.1.1',
      '@opentelemetry/sdk-metrics': '3.1.1',
      '@opentelemetry/exporter-prometheus': '0.301.0',
      '@opentelemetry/exporter-metrics-otlp-http': '0.301.0',
      '@opentelemetry/exporter-metrics-otlp-proto': '0.301.0',
      '@opentelemetry/exporter-metrics-otlp-grpc': '0.301.0',
      '@opentelemetry/otlp-exporter-base': '0.301.0',
      '@opentelemetry/otlp-transformer': '0.301.0',
      '@opentelemetry/sdk-node': '0.301.0',
      '@opentelemetry/auto-instrumentations-node': '0.82.0',
      '@opentelemetry/instrumentation-http': '0.301.0',
      '@opentelemetry/instrumentation-runtime-node': '0.37.0',
      '@opentelemetry/sdk-trace': '3.1.1',
    },
  },
};

/** Rewrites the `catalog:` entries of a pnpm-workspace.yaml text. */
export function swapCatalog(yaml, catalog) {
  let out = yaml;
  for (const [name, version] of Object.entries(catalog)) {
    const re = new RegExp(`^(\\s+['"]?${name.replace(/[/@.-]/g, '\\$&')}['"]?:\\s*).*$`, 'm');
    if (!re.test(out)) throw new Error(`pnpm-workspace.yaml has no catalog entry for ${name}`);
    out = out.replace(re, `$1${version}`);
  }
  return out;
}

/** The `catalog:` entries of a pnpm-workspace.yaml text, as `{ name: version }`. */
export function readCatalog(yaml) {
  const catalog = {};
  const block = /^catalog:\s*\n((?:[ \t]+.*\n?|\s*\n)*)/m.exec(yaml);
  for (const m of (block?.[1] ?? '').matchAll(/^[ \t]+['"]?([^'":\s]+)['"]?:[ \t]*['"]?([^'"\s#]+)/gm)) catalog[m[1]] = m[2];
  return catalog;
}
