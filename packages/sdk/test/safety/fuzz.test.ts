// 10,000+ random bad calls against every instrument kind, mixed with valid
// calls: no exception escapes, the valid calls are recorded exactly, and every
// drop is counted by reason (read back through the self-metrics export).
import type { Attributes, Meter } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import { TestReader, setup } from '../helpers.js';
import { BAD_ATTRIBUTES, BAD_NAMES, BAD_OPTIONS, BAD_VALUES } from './bad-inputs.js';

function mulberry32(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Kind = 'counter' | 'upDownCounter' | 'histogram' | 'gauge';
const KINDS: Kind[] = ['counter', 'upDownCounter', 'histogram', 'gauge'];
const MONOTONIC: Record<Kind, boolean> = { counter: true, upDownCounter: false, histogram: true, gauge: false };

function create(meter: Meter, kind: Kind, name: string) {
  switch (kind) {
    case 'counter':
      return meter.createCounter(name);
    case 'upDownCounter':
      return meter.createUpDownCounter(name);
    case 'histogram':
      return meter.createHistogram(name);
    case 'gauge':
      return meter.createGauge(name);
  }
}

function call(instrument: unknown, kind: Kind, value: unknown, attributes?: unknown) {
  const f = (kind === 'counter' || kind === 'upDownCounter' ? (instrument as { add: Function }).add : (instrument as { record: Function }).record) as (
    v: unknown,
    a?: unknown,
  ) => void;
  f.call(instrument, value, attributes);
}

const key = (a: Attributes) => JSON.stringify(Object.entries(a).sort());

afterEach(() => {
  expect(Object.prototype).not.toHaveProperty('polluted');
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
});

describe('fuzz: bad calls never throw, valid calls are kept, drops are counted', () => {
  it('10,000 random bad calls mixed with valid ones on every instrument kind', async () => {
    const reader = new TestReader();
    const { meter } = setup({ readers: [reader], selfMetrics: true });
    const rand = mulberry32(0xfa57);
    const instruments = KINDS.map(kind => ({ kind, instrument: create(meter, kind, `fuzz.${kind}`) }));
    const expectedDrops: Record<string, number> = {};
    const expectedAttributeIssues: Record<string, number> = {};
    // expected per instrument: attributes key -> sum / count / last value
    const expected = new Map<string, Map<string, { sum: number; count: number; last: number }>>();
    let escaped = 0;
    let badCalls = 0;
    for (let i = 0; i < 14_000; i++) {
      const { kind, instrument } = instruments[Math.floor(rand() * instruments.length)];
      const r = rand();
      let value: unknown = Math.floor(rand() * 100);
      let attributes: unknown = { route: `/r${Math.floor(rand() * 5)}` };
      let recordedAs: Attributes | undefined = attributes as Attributes;
      if (r < 0.4) {
        const bad = BAD_VALUES[Math.floor(rand() * BAD_VALUES.length)];
        const reason = MONOTONIC[kind] ? bad.monotonic : bad.other;
        value = bad.value;
        if (reason === null)
          value = -3; // valid for this kind
        else {
          expectedDrops[reason] = (expectedDrops[reason] ?? 0) + 1;
          recordedAs = undefined;
          badCalls++;
        }
      } else if (r < 0.8) {
        const bad = BAD_ATTRIBUTES[Math.floor(rand() * BAD_ATTRIBUTES.length)];
        attributes = bad.make();
        badCalls++;
        if (bad.drop) {
          expectedDrops[bad.drop] = (expectedDrops[bad.drop] ?? 0) + 1;
          recordedAs = undefined;
        } else {
          recordedAs = bad.recordedAs;
          for (const issue of bad.issues ?? []) expectedAttributeIssues[issue] = (expectedAttributeIssues[issue] ?? 0) + 1;
        }
      }
      try {
        call(instrument, kind, value, attributes);
      } catch {
        escaped++;
      }
      if (recordedAs !== undefined) {
        const byAttrs = expected.get(kind) ?? new Map();
        expected.set(kind, byAttrs);
        const e = byAttrs.get(key(recordedAs)) ?? { sum: 0, count: 0, last: 0 };
        e.sum += value as number;
        e.count++;
        e.last = value as number;
        byAttrs.set(key(recordedAs), e);
      }
    }
    expect(escaped).toBe(0);
    expect(badCalls).toBeGreaterThanOrEqual(10_000);

    const { resourceMetrics, errors } = await reader.collect();
    expect(errors).toEqual([]);
    const metrics = new Map(resourceMetrics.scopeMetrics.flatMap(s => s.metrics.map(m => [m.descriptor.name, m] as const)));
    for (const kind of KINDS) {
      const got = new Map((metrics.get(`fuzz.${kind}`)?.dataPoints ?? []).map(p => [key(p.attributes), p.value] as const));
      const want = expected.get(kind) ?? new Map();
      expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
      for (const [k, e] of want) {
        const v = got.get(k) as number | { sum: number; count: number };
        if (kind === 'histogram') expect(v).toMatchObject({ count: e.count, sum: e.sum });
        else if (kind === 'gauge') expect(v).toBe(e.last);
        else expect(v).toBe(e.sum);
      }
    }
    const counted = (name: string) =>
      Object.fromEntries((metrics.get(name)?.dataPoints ?? []).map(p => [(p.attributes as { reason: string }).reason, p.value]));
    expect(counted('fastmeter.measurements.dropped')).toEqual(expectedDrops);
    expect(counted('fastmeter.attributes.dropped')).toEqual(expectedAttributeIssues);
  });

  it('invalid instrument names and options still yield working instruments', async () => {
    const { meter, reader } = setup();
    let escaped = 0;
    const made: { add?: Function; record?: Function }[] = [];
    for (const name of BAD_NAMES) {
      for (const options of BAD_OPTIONS) {
        try {
          made.push(meter.createCounter(name as string, options as never));
          made.push(meter.createHistogram(name as string, options as never));
          meter.createObservableGauge(name as string, options as never).addCallback(r => r.observe(1));
        } catch {
          escaped++;
        }
      }
    }
    expect(escaped).toBe(0);
    for (const i of made) {
      try {
        (i.add ?? i.record)?.call(i, 1, { k: 'v' });
      } catch {
        escaped++;
      }
    }
    expect(escaped).toBe(0);
    const { resourceMetrics, errors } = await reader.collect();
    expect(errors).toEqual([]);
    const points = resourceMetrics.scopeMetrics.flatMap(s => s.metrics.flatMap(m => m.dataPoints));
    expect(points.length).toBeGreaterThan(0);
  });

  it('observable callbacks that observe bad values or throw: others still collected, drops counted', async () => {
    const reader = new TestReader();
    const { meter } = setup({ readers: [reader], selfMetrics: true });
    const good = meter.createObservableGauge('good');
    const bad = meter.createObservableCounter('bad');
    good.addCallback(r => r.observe(7, { k: 'v' }));
    bad.addCallback(r => {
      for (const v of BAD_VALUES) r.observe(v.value as number, { k: 'v' });
      r.observe(3, null as unknown as Attributes);
      r.observe(5, { k: 'ok' });
    });
    bad.addCallback(() => {
      throw new Error('callback failure');
    });
    const { resourceMetrics, errors } = await reader.collect();
    expect(errors.map(e => (e as Error).message)).toEqual(['callback failure']);
    const metrics = new Map(resourceMetrics.scopeMetrics.flatMap(s => s.metrics.map(m => [m.descriptor.name, m] as const)));
    expect(metrics.get('good')?.dataPoints.map(p => p.value)).toEqual([7]);
    // negative totals are invalid for an ObservableCounter; -3 is the only negative in the table
    expect(metrics.get('bad')?.dataPoints.map(p => [p.attributes, p.value])).toEqual([[{ k: 'ok' }, 5]]);
  });
});
