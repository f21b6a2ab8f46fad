// Loading packages by name, synchronously and only when the configuration
// needs them: the register entry must finish before the application's first
// line runs (so it cannot await), and an unused exporter should cost nothing at
// startup (measured on Node 20: exporter-prometheus ~40 ms, yaml ~14 ms).
//
// A package is looked up from this package's own location first (its
// dependencies: the standard exporters, yaml), then from the application's
// working directory and its entry script (optional packages the application
// installed: the gRPC exporter, other fastmeter packages). The same source compiles to ES modules
// and to CommonJS, where `import.meta.url` does not exist, so this module finds
// its own file from a V8 call site instead.
import { createRequire } from 'node:module';
import { isAbsolute, join, sep } from 'node:path';

type Require = ReturnType<typeof createRequire>;

function ownFile(): string | undefined {
  const original = Error.prepareStackTrace;
  try {
    Error.prepareStackTrace = (_, sites) => sites;
    const holder: { stack?: unknown } = {};
    Error.captureStackTrace(holder, ownFile);
    const sites = holder.stack as NodeJS.CallSite[] | undefined;
    return sites?.[0]?.getFileName() ?? undefined;
  } catch {
    return undefined;
  } finally {
    Error.prepareStackTrace = original;
  }
}

let requires: Require[] | undefined;

function lookups(): Require[] {
  if (requires !== undefined) return requires;
  requires = [];
  const own = ownFile();
  if (own !== undefined) requires.push(createRequire(own));
  requires.push(createRequire(join(process.cwd(), 'package.json')));
  // The application's entry script: where its own dependencies are, whatever the working directory
  // (not a tool's script inside node_modules, such as a test runner's worker).
  const main = process.argv[1];
  if (typeof main === 'string' && isAbsolute(main) && !main.split(sep).includes('node_modules')) requires.push(createRequire(main));
  return requires;
}

export class MissingPackageError extends Error {
  constructor(readonly packageName: string) {
    super(`${packageName} is not installed (npm install ${packageName})`);
  }
}

/** True when `name` can be resolved from this package or from the application. */
export function isInstalled(name: string): boolean {
  for (const req of lookups()) {
    try {
      req.resolve(name);
      return true;
    } catch {}
  }
  return false;
}

/** `require(name)` from this package, else from the application; MissingPackageError when neither has it. */
export function load<T = unknown>(name: string): T {
  for (const req of lookups()) {
    let resolved: string;
    try {
      resolved = req.resolve(name);
    } catch {
      continue;
    }
    return req(resolved) as T;
  }
  throw new MissingPackageError(name);
}

/** True when a module whose path matches `re` is already in the CommonJS module cache. */
export function alreadyLoaded(re: RegExp): boolean {
  const cache = lookups()[0]?.cache ?? {};
  for (const key of Object.keys(cache)) if (re.test(key)) return true;
  return false;
}
