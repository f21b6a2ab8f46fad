// Runs a child script with --expose-gc and returns the JSON object it prints last. Children
// inherit FASTMETER_SDK, so they load the same SDK snapshot as the parent (lib/snapshot.mjs).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export function runChild(script, args, { timeoutMs = 300_000 } = {}) {
  const file = fileURLToPath(new URL(`../children/${script}`, import.meta.url));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', file, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', d => (stdout += d));
    child.stderr.on('data', d => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const line = stdout.trim().split('\n').filter(Boolean).pop();
      let out = null;
      try {
        out = line ? JSON.parse(line) : null;
      } catch {}
      if (out && !out.error && code === 0) resolve(out);
      else reject(new Error(`${script} ${args.join(' ')}: ${out?.error ?? `exit ${code ?? signal}`}\n${stderr.slice(-2000)}`));
    });
  });
}
