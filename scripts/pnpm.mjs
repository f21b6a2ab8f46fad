// How to run pnpm on this machine: the pnpm on PATH if it is the major version
// package.json's packageManager names, else through npx (corepack does not work here).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const PNPM_VERSION = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).packageManager.split('@')[1];

/** `[command, leading arguments]`: run pnpm as `spawn(command, [...leading, ...args])`. */
export function pnpmCommand(env = process.env) {
  try {
    const v = execFileSync('pnpm', ['--version'], { encoding: 'utf8', env }).trim();
    if (v.split('.')[0] === PNPM_VERSION.split('.')[0]) return ['pnpm', []];
  } catch {}
  return ['npx', ['-y', `pnpm@${PNPM_VERSION}`]];
}
