// A stream has exactly one overflow series, { "otel.metric.overflow": true },
// whoever produced it: the cardinality limit, or a caller (or companion package)
// passing those attributes itself.
import { describe, expect, it } from 'vitest';
import { bind, createAllowListAttributesProcessor, removeSeries } from '@fastmeter/sdk';
import { deltaReader, points, setup } from '../helpers.js';

const OVERFLOW = { 'otel.metric.overflow': true };

describe('the overflow series', () => {
  it('a measurement with the overflow attributes made a second overflow series', async () => {
    const { meter, reader } = setup({ views: [{ instrumentName: 'c', aggregationCardinalityLimit: 2 }] });
    const c = meter.createCounter('c');
    c.add(1, { 'otel.metric.overflow': true });
    c.add(2, { a: 2 });
    c.add(4, { a: 3 });
    expect((await points(reader)).c).toEqual([
      [{ a: 2 }, 2],
      [OVERFLOW, 5],
    ]);
  });

  it('the overflow attributes after the limit was reached are the one overflow series too', async () => {
    const { meter, reader } = setup({ views: [{ instrumentName: 'c', aggregationCardinalityLimit: 2 }] });
    const c = meter.createCounter('c');
    c.add(2, { a: 2 });
    c.add(4, { a: 3 });
    for (let i = 0; i < 100; i++) c.add(1, { 'otel.metric.overflow': true });
    bind(c, OVERFLOW).add(1000);
    expect((await points(reader)).c).toEqual([
      [{ a: 2 }, 2],
      [OVERFLOW, 1104],
    ]);
  });

  it('the overflow attributes do not take one of the limit’s places', async () => {
    const { meter, reader } = setup({ views: [{ instrumentName: 'c', aggregationCardinalityLimit: 3 }] });
    const c = meter.createCounter('c');
    c.add(1, OVERFLOW);
    c.add(1, { a: 1 });
    c.add(1, { a: 2 });
    c.add(1, { a: 3 });
    expect((await points(reader)).c).toEqual([
      [{ a: 1 }, 1],
      [{ a: 2 }, 1],
      [OVERFLOW, 2],
    ]);
  });

  it('the overflow attributes through a view key filter, with a delta reader, and removeSeries', async () => {
    const { meter, reader } = setup({
      readers: [deltaReader()],
      views: [
        { instrumentName: 'c', aggregationCardinalityLimit: 2, attributesProcessors: [createAllowListAttributesProcessor(['a', 'otel.metric.overflow'])] },
      ],
    });
    const c = meter.createCounter('c');
    c.add(1, { a: 1 });
    c.add(1, { a: 2 });
    c.add(1, { 'otel.metric.overflow': true, dropped: 'by the view' });
    expect((await points(reader)).c).toEqual([
      [{ a: 1 }, 1],
      [OVERFLOW, 2],
    ]);
    c.add(5, OVERFLOW);
    expect(removeSeries(c, OVERFLOW)).toBe(true);
    expect(await points(reader)).toEqual({});
    c.add(7, OVERFLOW);
    expect((await points(reader)).c).toEqual([[OVERFLOW, 7]]);
  });

  it('other attribute sets holding the overflow key are ordinary sets', async () => {
    const { meter, reader } = setup();
    const c = meter.createCounter('c');
    c.add(1, { 'otel.metric.overflow': 'true' });
    c.add(1, { 'otel.metric.overflow': false });
    c.add(1, { 'otel.metric.overflow': true, a: 1 });
    expect((await points(reader)).c).toHaveLength(3);
  });
});
