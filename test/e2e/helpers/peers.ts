// The third-party programs these tests run against, found on this machine.
// On a developer machine a missing peer skips the tests that need it, with the
// command that installs it; under FASTMETER_REQUIRE_PEERS=1 (set by .ci/run after
// installing them) a missing peer fails those tests instead.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join } from 'node:path';

export const REQUIRE_PEERS = process.env.FASTMETER_REQUIRE_PEERS === '1';

export interface Peer {
  /** What the tests call it in messages. */
  readonly name: string;
  /** Absolute path of the program to run, when found. */
  readonly path: string | undefined;
  /** Why it is unusable, with the way to install it (undefined when usable). */
  readonly problem: string | undefined;
}

function onPath(bin: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, bin);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {}
  }
  return undefined;
}

function binary(name: string, debianPackage: string): Peer {
  const path = onPath(name);
  return { name, path, problem: path ? undefined : `\`${name}\` is not on PATH (apt-get install --no-install-recommends ${debianPackage})` };
}

/**
 * Debian's python3, found through dpkg rather than PATH: `python3` on PATH may be
 * another interpreter (pyenv's here) that does not see Debian's dist-packages.
 */
function debianPython(): { path: string | undefined; problem: string | undefined } {
  const listed = spawnSync('dpkg', ['-L', 'python3-minimal'], { encoding: 'utf8', timeout: 5000 });
  if (listed.error || listed.status !== 0)
    return { path: undefined, problem: 'Debian python3 not found (`dpkg -L python3-minimal` failed; not a Debian system?)' };
  const path = listed.stdout
    .split('\n')
    .find(line => /bin\/python3$/.test(line.trim()))
    ?.trim();
  if (path === undefined || !existsSync(path)) return { path: undefined, problem: '`dpkg -L python3-minimal` lists no bin/python3' };
  return { path, problem: undefined };
}

function pythonModule(name: string, module: string, debianPackage: string): Peer {
  const python = debianPython();
  if (python.path === undefined) return { name, path: undefined, problem: `${python.problem} (needed for ${debianPackage})` };
  const probe = spawnSync(python.path, ['-c', `import ${module}`], { encoding: 'utf8', timeout: 10_000 });
  if (probe.status !== 0) {
    return { name, path: undefined, problem: `${python.path} cannot import ${module} (apt-get install --no-install-recommends ${debianPackage})` };
  }
  return { name, path: python.path, problem: undefined };
}

let cache: Record<string, Peer> | undefined;

/** The peers, probed once per test file (cheap: a PATH scan, one dpkg call, two python imports). */
export function peers() {
  cache ??= {
    prometheus: binary('prometheus', 'prometheus'),
    promtool: binary('promtool', 'prometheus'),
    protoc: binary('protoc', 'protobuf-compiler'),
    openMetricsParser: pythonModule('prometheus_client (Debian python3)', 'prometheus_client.openmetrics.parser', 'python3-prometheus-client'),
    pythonProtobuf: pythonModule('google.protobuf (Debian python3)', 'google.protobuf.json_format', 'python3-protobuf'),
  };
  return cache as {
    prometheus: Peer;
    promtool: Peer;
    protoc: Peer;
    openMetricsParser: Peer;
    pythonProtobuf: Peer;
  };
}

/** The problems of the given peers; empty when all are usable. */
export function missing(...needed: Peer[]): string[] {
  return needed.filter(p => p.problem !== undefined).map(p => `${p.name}: ${p.problem}`);
}

interface Skippable {
  skip(note?: string): never;
}

/**
 * First statement of a test that needs peers: skips it (with the reason) when
 * one is missing, or fails it under FASTMETER_REQUIRE_PEERS=1.
 */
export function needPeers(ctx: Skippable, ...needed: Peer[]): void {
  const problems = missing(...needed);
  if (problems.length === 0) return;
  if (REQUIRE_PEERS) throw new Error(`required peer missing (FASTMETER_REQUIRE_PEERS=1): ${problems.join('; ')}`);
  const note = `peer missing, skipped: ${problems.join('; ')}`;
  console.warn(`[e2e] ${note}`);
  ctx.skip(note);
}

/**
 * Directory and version of an installed npm package, found from its entry point
 * (its package.json may be hidden by an `exports` map): the nearest package.json
 * above it with a name and a version (nested ones only say `"type"`).
 */
export function installedPackage(name: string, from: string = import.meta.url): { dir: string; version: string } {
  let dir = dirname(createRequire(from).resolve(name));
  for (;;) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const json = JSON.parse(readFileSync(file, 'utf8'));
      if (typeof json.name === 'string' && typeof json.version === 'string') return { dir, version: json.version };
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above the entry point of ${name}`);
    dir = parent;
  }
}
