// Mixing `import` and `require` loads two copies of @fastmeter/sdk (the ES
// module and the CommonJS build). Runs against the build, in a child process.
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const HERE = dirname(fileURLToPath(import.meta.url));

describe('two copies of @fastmeter/sdk in one process (import + require)', () => {
  it('bind on an instrument of the other copy fell back to forwarding, removeSeries returned false, instanceof FastMeterConfigError was false', () => {
    const out = JSON.parse(execFileSync(process.execPath, [join(HERE, 'fixtures/dual-copies.mjs')], { cwd: HERE, encoding: 'utf8', timeout: 20_000 }));
    expect(out.twoCopies).toBe(true);
    expect(out.mergeAccepted).toBe(true);
    expect(out.removedWhileBound).toBe(false);
    expect(out.removedOther).toBe(true);
    expect(out.histogram).toEqual([[{ k: 'v' }, 2, 3.5]]);
    expect(out.counter).toEqual([[{ k: 'bound' }, 5]]);
    expect(out.esmError).toEqual({ esm: true, cjs: true, code: 'FM_INVALID_OPTION' });
    expect(out.cjsError).toEqual({ esm: true, cjs: true, code: 'FM_INVALID_OPTION' });
    expect(out.plainErrorIsNot).toBe(false);
  });
});
