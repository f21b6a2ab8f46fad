import type { Attributes } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { removeSeries } from '@fastmeter/sdk';
import { points, setup } from '../helpers.js';

/** A custom (context-capable) attributes processor: not a key filter, so it runs per measurement. */
const redact = {
  process(attributes: Attributes): Attributes {
    const out: Attributes = {};
    for (const [k, v] of Object.entries(attributes)) out[k] = k === 'user' ? 'redacted' : v;
    return out;
  },
};

describe('removeSeries', () => {
  it('returned true but a view with a custom attributes processor kept exporting the series', async () => {
    const { meter, reader } = setup({
      views: [
        { instrumentName: 'c', name: 'c.redacted', attributesProcessors: [redact] },
        { instrumentName: 'c', name: 'c.plain' },
      ],
    });
    const c = meter.createCounter('c');
    c.add(1, { queue: 'a', user: 'u1' });
    c.add(1, { queue: 'b', user: 'u1' });
    expect(removeSeries(c, { queue: 'a', user: 'u1' })).toBe(true);
    expect(await points(reader)).toEqual({
      'c.redacted': [[{ queue: 'b', user: 'redacted' }, 1]],
      'c.plain': [[{ queue: 'b', user: 'u1' }, 1]],
    });
  });

  it('removes the series a custom processor maps the attributes to, when that is the only stream', async () => {
    const { meter, reader } = setup({ views: [{ instrumentName: 'c', attributesProcessors: [redact] }] });
    const c = meter.createCounter('c');
    c.add(1, { queue: 'a', user: 'u1' });
    c.add(1, { queue: 'a', user: 'u2' }); // the same series after the processor
    c.add(1, { queue: 'b', user: 'u1' });
    expect(removeSeries(c, { queue: 'a', user: 'anyone' })).toBe(true);
    expect((await points(reader)).c).toEqual([[{ queue: 'b', user: 'redacted' }, 1]]);
    expect(removeSeries(c, { queue: 'a', user: 'anyone' })).toBe(false);
  });

  it('a processor that throws removes nothing from its stream and never throws', () => {
    const { meter } = setup({
      views: [
        {
          instrumentName: 'c',
          attributesProcessors: [
            {
              process() {
                throw new Error('boom');
              },
            },
          ],
        },
      ],
    });
    const c = meter.createCounter('c');
    expect(() => removeSeries(c, { a: 1 })).not.toThrow();
    expect(removeSeries(c, { a: 1 })).toBe(false);
  });
});
