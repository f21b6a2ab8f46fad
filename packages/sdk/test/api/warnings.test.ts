// Bad input is reported through the OpenTelemetry diag logger, which is silent
// until the application installs one: the README gives the one line that does.
import { readFileSync } from 'node:fs';
import { DiagConsoleLogger, DiagLogLevel, diag } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import { setup, withWarnings } from '../helpers.js';

afterEach(() => diag.disable());

describe('warnings', () => {
  it('were invisible without a diag logger and the README did not say how to see them', () => {
    const readme = readFileSync(new URL('../../../../README.md', import.meta.url), 'utf8');
    const line = readme.match(/^diag\.setLogger\(.*\);.*$/m)?.[0];
    expect(line, 'README: the one line that installs a diag logger').toBeDefined();
    // The line as written, with a console logger that records what it is given.
    const seen: string[] = [];
    class RecordingConsoleLogger extends DiagConsoleLogger {
      override warn = (message: string) => {
        seen.push(message);
      };
    }
    new Function('diag', 'DiagConsoleLogger', 'DiagLogLevel', line as string)(diag, RecordingConsoleLogger, DiagLogLevel);
    setup().meter.createCounter('c').add(Number.NaN);
    expect(seen.join('\n')).toContain('dropped a measurement on "c"');
  });

  it('attribute warnings did not name the key', async () => {
    await withWarnings(async warnings => {
      const { meter } = setup({ attributeCountLimit: 2, attributeValueLengthLimit: 3 });
      meter.createCounter('undef').add(1, { 'http.route': undefined } as never);
      meter.createCounter('invalid').add(1, { 'user.object': {} } as never);
      meter.createCounter('long').add(1, { 'url.path': '/a/long/path' });
      meter.createCounter('many').add(1, { a: 1, b: 2, zz: 3 });
      const text = warnings.join('\n');
      expect(text).toContain('"http.route"');
      expect(text).toContain('"user.object"');
      expect(text).toContain('"url.path"');
      expect(text).toContain('"zz"');
    });
  });
});
