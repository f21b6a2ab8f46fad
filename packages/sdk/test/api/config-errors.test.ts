// Every configuration check docs/errors.md documents is enforced, with a
// FastMeterConfigError whose message names the option and shows the wrong
// value with its type. Unknown options are warned about once.
import { describe, expect, it } from 'vitest';
import { ErrorCode, FastMeterConfigError, FastMeterProvider } from '@fastmeter/sdk';
import { TestReader, withWarnings } from '../helpers.js';

function configError(fn: () => unknown): FastMeterConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(FastMeterConfigError);
    return err as FastMeterConfigError;
  }
  throw new Error('expected a FastMeterConfigError, nothing was thrown');
}

const limitView = (limit: unknown) => ({ views: [{ instrumentName: 'c', aggregationCardinalityLimit: limit as number }] });

describe('configuration errors', () => {
  for (const limit of [-5, 0, 2.5]) {
    it(`a view's aggregationCardinalityLimit of ${limit} was accepted`, () => {
      const err = configError(() => new FastMeterProvider(limitView(limit)));
      expect(err.code).toBe(ErrorCode.INVALID_OPTION);
      expect(err.message).toContain('aggregationCardinalityLimit');
      expect(err.message).toContain(String(limit));
    });
  }

  it('the message for a string aggregationCardinalityLimit said "got 500", hiding that it was a string', () => {
    const err = configError(() => new FastMeterProvider(limitView('500')));
    expect(err.message).toContain('"500" (a string)');
  });

  it('Infinity and NaN limits are rejected', () => {
    configError(() => new FastMeterProvider(limitView(Number.POSITIVE_INFINITY)));
    configError(() => new FastMeterProvider(limitView(Number.NaN)));
  });

  it('views: {} threw a raw TypeError', () => {
    const err = configError(() => new FastMeterProvider({ views: {} as never }));
    expect(err.code).toBe(ErrorCode.INVALID_OPTION);
    expect(err.message).toContain('views must be an array');
  });

  it('readers: {} threw a raw TypeError', () => {
    const err = configError(() => new FastMeterProvider({ readers: {} as never }));
    expect(err.code).toBe(ErrorCode.INVALID_OPTION);
    expect(err.message).toContain('readers must be an array');
  });

  it('processors: {} threw a raw TypeError', () => {
    const err = configError(() => new FastMeterProvider({ processors: {} as never }));
    expect(err.message).toContain('processors must be an array');
  });

  it('options that are not an object are rejected', () => {
    configError(() => new FastMeterProvider('readers' as never));
  });

  for (const [name, value] of [
    ['attributeCountLimit', 2.5],
    ['attributeCountLimit', -1],
    ['attributeCountLimit', '128'],
    ['attributeValueLengthLimit', 1.5],
    ['attributeValueLengthLimit', Number.NaN],
    ['internBudget', 0.5],
    ['internBudget', -1],
    ['maxNewSeriesPerSecond', Number.NaN],
    ['maxNewSeriesPerSecond', '10'],
    ['selfMetrics', 'yes'],
    ['sdkMetricsEnabled', 1],
    ['resource', 'service'],
    ['cumulativeEviction', { idleCollections: 0 }],
  ] as [string, unknown][]) {
    it(`${name}: ${typeof value === 'object' ? JSON.stringify(value) : String(value)} (a ${typeof value}) is rejected with its type in the message`, () => {
      const err = configError(() => new FastMeterProvider({ [name]: value } as never));
      expect(err.code).toBe(ErrorCode.INVALID_OPTION);
      expect(err.message).toContain(name);
      if (typeof value !== 'object') expect(err.message).toContain(`(a ${typeof value})`);
    });
  }

  it('Infinity is accepted where it means "no limit"', () => {
    expect(() => new FastMeterProvider({ attributeValueLengthLimit: Number.POSITIVE_INFINITY, internBudget: Number.POSITIVE_INFINITY })).not.toThrow();
  });

  it('unknown top-level options were silently ignored; they are warned about once', async () => {
    await withWarnings(async warnings => {
      new FastMeterProvider({ reader: [new TestReader()], view: [] } as never);
      const unknown = warnings.filter(w => w.includes('unknown option'));
      expect(unknown).toHaveLength(1);
      expect(unknown[0]).toContain('"reader"');
      expect(unknown[0]).toContain('"view"');
    });
  });

  it('the sdk-metrics MeterProvider options are all known', async () => {
    await withWarnings(async warnings => {
      new FastMeterProvider({ resource: undefined, views: [], readers: [], sdkMetricsEnabled: false });
      expect(warnings).toEqual([]);
    });
  });

  it('an entry of views that is not an object, and a reader without its methods, are typed errors', () => {
    expect(configError(() => new FastMeterProvider({ views: [null as never] })).code).toBe(ErrorCode.VIEW_NO_SELECTOR);
    const err = configError(() => new FastMeterProvider({ readers: [{} as never] }));
    expect(err.code).toBe(ErrorCode.INVALID_READER);
  });
});
