// Which OpenTelemetry line this run is testing: scripts/run.mjs runs every
// suite twice, with FASTMETER_LINE=2 (system Node 20, sdk-metrics 2.x) and
// FASTMETER_LINE=3 (Node 24, sdk-metrics 3.x). This test makes the pairing
// visible and fails if an install step silently resolved the wrong versions.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);

/** A package's version, read through the file system (3.x packages do not export ./package.json). */
function versionOf(name: string): string {
  let dir = dirname(require.resolve(name));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      if (pkg.name === name) return pkg.version;
    } catch {}
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package.json for ${name}`);
    dir = up;
  }
}

const line = process.env.FASTMETER_LINE;

describe.runIf(line === '2' || line === '3')(`OpenTelemetry line ${line}`, () => {
  it('runs on the Node and sdk-metrics versions of the line', () => {
    const [major, minor] = process.versions.node.split('.').map(Number);
    const sdk = versionOf('@opentelemetry/sdk-metrics');
    const api = versionOf('@opentelemetry/api');
    if (line === '2') {
      expect(sdk).toMatch(/^2\./);
      expect(api).toMatch(/^1\.9\./);
      expect(major).toBeGreaterThanOrEqual(20);
    } else {
      expect(sdk).toMatch(/^3\./);
      expect(api).toMatch(/^1\.10\./);
      expect(major * 100 + minor).toBeGreaterThanOrEqual(2215);
    }
    console.log(`line ${line}: node ${process.version}, sdk-metrics ${sdk}, api ${api}`);
  });
});
