import { afterEach, describe, expect, it, vi } from 'vitest';
import { errorType, startTimer, time } from '@fastmeter/sdk';
import { points, setup } from '../helpers.js';

/** Makes performance.now() return the given milliseconds, one per call. */
function clock(...ms: number[]) {
  const spy = vi.spyOn(performance, 'now');
  for (const t of ms) spy.mockReturnValueOnce(t);
  return spy;
}

function histogram() {
  const { meter, reader } = setup();
  return { reader, duration: meter.createHistogram('op.duration', { unit: 's', advice: { explicitBucketBoundaries: [0.01, 0.1, 1] } }) };
}

afterEach(() => vi.restoreAllMocks());

describe('startTimer()', () => {
  it('records the elapsed seconds of the monotonic clock, with the start and end attributes merged', async () => {
    const { reader, duration } = histogram();
    clock(1000, 1250);
    const end = startTimer(duration, { op: 'get', status: 'pending' });
    expect(end({ status: 'ok' })).toBe(0.25);
    expect((await points(reader))['op.duration']).toEqual([
      [{ op: 'get', status: 'ok' }, expect.objectContaining({ count: 1, sum: 0.25, min: 0.25, max: 0.25 })],
    ]);
  });

  it('passes the caller attributes through without a copy when only one side has them', () => {
    const record = vi.fn();
    const attrs = { op: 'get' };
    startTimer({ record }, attrs)();
    startTimer({ record })(attrs);
    startTimer({ record })();
    expect(record.mock.calls.map(c => c[1])).toEqual([attrs, attrs, undefined]);
    expect(record.mock.calls[0][1]).toBe(attrs);
    expect(record.mock.calls[1][1]).toBe(attrs);
  });

  it('records once: later calls return the same value and record nothing', async () => {
    const { reader, duration } = histogram();
    clock(0, 40, 90);
    const end = startTimer(duration);
    expect(end()).toBe(0.04);
    expect(end({ extra: 'x' })).toBe(0.04);
    expect((await points(reader))['op.duration']).toEqual([[{}, expect.objectContaining({ count: 1, sum: 0.04 })]]);
  });

  it('measures real time with the real clock', async () => {
    const { reader, duration } = histogram();
    const end = startTimer(duration);
    await new Promise(r => setTimeout(r, 30));
    const seconds = end();
    expect(seconds).toBeGreaterThanOrEqual(0.025);
    expect(seconds).toBeLessThan(5);
    expect((await points(reader))['op.duration'][0][1]).toMatchObject({ count: 1, sum: seconds });
  });
});

describe('time()', () => {
  it('times a synchronous function and returns its result', async () => {
    const { reader, duration } = histogram();
    clock(10, 15);
    expect(time(duration, () => 42, { op: 'sync' })).toBe(42);
    expect((await points(reader))['op.duration']).toEqual([[{ op: 'sync' }, expect.objectContaining({ count: 1, sum: 0.005 })]]);
  });

  it('records a throwing function with error.type and rethrows the same error', async () => {
    const { reader, duration } = histogram();
    clock(0, 2);
    const boom = new RangeError('boom');
    expect(() =>
      time(
        duration,
        () => {
          throw boom;
        },
        { op: 'sync' },
      ),
    ).toThrow(boom);
    expect((await points(reader))['op.duration']).toEqual([[{ op: 'sync', 'error.type': 'RangeError' }, expect.objectContaining({ count: 1, sum: 0.002 })]]);
  });

  it('times an async function until its promise settles', async () => {
    const { reader, duration } = histogram();
    const result = time(duration, async () => {
      await new Promise(r => setTimeout(r, 20));
      return 'done';
    });
    expect(result).toBeInstanceOf(Promise);
    expect(await result).toBe('done');
    const [[attrs, value]] = (await points(reader))['op.duration'];
    expect(attrs).toEqual({});
    expect((value as { sum: number }).sum).toBeGreaterThanOrEqual(0.015);
  });

  it('records a rejected promise with error.type (custom error class) and rejects the same way', async () => {
    const { reader, duration } = histogram();
    class QueryTimeout extends Error {}
    const err = new QueryTimeout('slow');
    await expect(time(duration, () => Promise.reject(err), { op: 'q' })).rejects.toBe(err);
    expect((await points(reader))['op.duration']).toEqual([[{ op: 'q', 'error.type': 'QueryTimeout' }, expect.objectContaining({ count: 1 })]]);
  });

  it('handles non-Error throws and non-native thenables', async () => {
    const { reader, duration } = histogram();
    expect(() =>
      time(duration, () => {
        throw 'text';
      }),
    ).toThrow('text');
    // biome-ignore lint/suspicious/noThenProperty: a non-native thenable on purpose
    const thenable = { then: (ok: (v: number) => void) => ok(7) };
    expect(await time(duration, () => thenable)).toBe(7);
    const out = (await points(reader))['op.duration'];
    expect(out.map(([a, v]) => [a, (v as { count: number }).count])).toEqual([
      [{ 'error.type': '_OTHER' }, 1],
      [{}, 1],
    ]);
  });
});

describe('errorType()', () => {
  it('names the class, else _OTHER', () => {
    expect(errorType(new TypeError('x'))).toBe('TypeError');
    expect(errorType(Object.create(null))).toBe('_OTHER');
    expect(errorType({})).toBe('_OTHER');
    expect(errorType(undefined)).toBe('_OTHER');
    expect(errorType(42)).toBe('_OTHER');
  });
});
