// The page's files, read once when a dashboard starts: our page (page/ in the
// package) and uPlot from its npm package. Nothing is fetched from a CDN, so the
// dashboard works offline.
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Asset {
  body: Buffer;
  type: string;
}

/**
 * This module's own file. The same source is compiled to ES modules and to
 * CommonJS, which locate themselves differently (import.meta.url is a syntax
 * error in CommonJS); V8's structured stack trace gives the file in both.
 */
function thisFile(): string {
  const original = Error.prepareStackTrace;
  try {
    Error.prepareStackTrace = (_err, stack) => stack;
    const stack = new Error().stack as unknown as NodeJS.CallSite[];
    const name = stack[0].getFileName() ?? '';
    return name.startsWith('file:') ? fileURLToPath(name) : name;
  } finally {
    Error.prepareStackTrace = original;
  }
}

/** The package directory: the nearest package.json above this file named @fastmeter/dashboard. */
export function packageDir(): string {
  let dir = dirname(thisFile());
  for (;;) {
    try {
      if (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name === '@fastmeter/dashboard') return dir;
    } catch {}
    const parent = dirname(dir);
    if (parent === dir) throw new Error('@fastmeter/dashboard: cannot find the package directory (page/ assets)');
    dir = parent;
  }
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

function typeOf(file: string): string {
  return TYPES[file.slice(file.lastIndexOf('.'))] ?? 'application/octet-stream';
}

/** URL path → asset. */
export async function loadAssets(): Promise<Map<string, Asset>> {
  const dir = packageDir();
  const require = createRequire(join(dir, 'package.json'));
  const files: [string, string][] = [
    ['/', join(dir, 'page/index.html')],
    ['/app.js', join(dir, 'page/app.js')],
    ['/app.css', join(dir, 'page/app.css')],
    ['/favicon.svg', join(dir, 'page/favicon.svg')],
    ['/vendor/uPlot.iife.min.js', require.resolve('uplot/dist/uPlot.iife.min.js')],
    ['/vendor/uPlot.min.css', require.resolve('uplot/dist/uPlot.min.css')],
  ];
  const out = new Map<string, Asset>();
  await Promise.all(files.map(async ([path, file]) => out.set(path, { body: await readFile(file), type: typeOf(file) })));
  return out;
}
