// What the numbers were measured on: commit, machine, Node, package versions.
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import os from 'node:os';

const here = new URL('../', import.meta.url);

function git(...args) {
  try {
    return execFileSync('git', args, { cwd: here, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

/** Versions read from the installed package.json files (sdk-metrics 3.x does not export ./package.json). */
export const PACKAGES = [
  '@fastmeter/sdk',
  '@opentelemetry/sdk-metrics',
  '@opentelemetry/api',
  'prom-client',
  '@opentelemetry/exporter-prometheus',
  '@opentelemetry/otlp-transformer',
];

export function packageVersion(name) {
  try {
    return JSON.parse(readFileSync(new URL(`node_modules/${name}/package.json`, here), 'utf8')).version;
  } catch {
    return 'not installed';
  }
}

export function environment() {
  const cpus = os.cpus();
  let distBuilt = '';
  try {
    distBuilt = statSync(new URL('node_modules/@fastmeter/sdk/dist/esm/index.js', here)).mtime.toISOString();
  } catch {}
  return {
    date: new Date().toISOString(),
    commit: git('rev-parse', '--short', 'HEAD') || 'unknown',
    // Uncommitted changes under packages/sdk mean the numbers belong to a working tree, not the commit.
    sdkDirty: git('status', '--porcelain', '--', '../packages/sdk/src') !== '',
    distBuilt,
    node: process.version,
    v8: process.versions.v8,
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    memory: `${Math.round(os.totalmem() / 2 ** 30)} GiB`,
    loadavg: os
      .loadavg()
      .map(x => x.toFixed(2))
      .join(' '),
    packages: Object.fromEntries(PACKAGES.map(p => [p, packageVersion(p)])),
  };
}
