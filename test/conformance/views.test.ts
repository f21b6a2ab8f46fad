// Views: selection (names with wildcards, type, unit, meter name/version/schema
// URL), stream changes (rename, description, attribute processors, aggregation,
// drop) and several views per instrument, under one cumulative and one delta reader.
import type { Attributes } from '@opentelemetry/api';
import {
  AggregationType,
  InstrumentType,
  type IAttributesProcessor,
  type ViewOptions,
  createAllowListAttributesProcessor,
  createDenyListAttributesProcessor,
} from '@opentelemetry/sdk-metrics';
import { createAllowListAttributesProcessor as fastAllowList, createDenyListAttributesProcessor as fastDenyList, FastMeterProvider } from '@fastmeter/sdk';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appScenario } from './app-scenario.js';
import { type ReaderConfig, expectConformance, useFakeDate } from './harness.js';

useFakeDate({ beforeAll, afterAll });

const TWO_READERS: ReaderConfig[] = [{ temporality: 'cumulative' }, { temporality: 'delta' }];

/** A context-free custom processor: rewrites a value and adds a key (called per measurement by both SDKs). */
const bucketStatus: IAttributesProcessor = {
  process(incoming: Attributes): Attributes {
    const out: Attributes = {};
    for (const key of Object.keys(incoming)) out[key] = incoming[key];
    if (typeof incoming.status === 'number') out.status = `${Math.floor(incoming.status / 100)}xx`;
    out.processed = true;
    return out;
  },
};

const CASES: [string, ViewOptions[]][] = [
  ['rename and describe one instrument', [{ instrumentName: 'http.server.duration', name: 'http.latency', description: 'renamed by a view' }]],
  ['change only the description', [{ instrumentName: 'db.client.calls', description: 'a new, longer description' }]],
  ['allow-list attribute processor', [{ instrumentName: 'http.*', attributesProcessors: [createAllowListAttributesProcessor(['method', 'status'])] }]],
  ['deny-list attribute processor', [{ instrumentName: 'http.*', attributesProcessors: [createDenyListAttributesProcessor(['route', 'retry'])] }]],
  [
    'allow-list then deny-list',
    [
      {
        instrumentType: InstrumentType.COUNTER,
        attributesProcessors: [createAllowListAttributesProcessor(['method', 'route', 'status']), createDenyListAttributesProcessor(['route'])],
      },
    ],
  ],
  ['a custom context-free processor', [{ instrumentName: 'http.server.*', attributesProcessors: [bucketStatus] }]],
  [
    'custom processor after an allow-list',
    [{ meterName: 'app', attributesProcessors: [createAllowListAttributesProcessor(['status', 'room']), bucketStatus] }],
  ],
  ['allow-list removing every key', [{ instrumentName: 'http.server.requests', attributesProcessors: [createAllowListAttributesProcessor([])] }]],
  ['wildcard * matches everything', [{ instrumentName: '*', aggregation: { type: AggregationType.SUM } }]],
  ['wildcard prefix', [{ instrumentName: 'db.*', aggregation: { type: AggregationType.LAST_VALUE } }]],
  ['wildcard suffix', [{ instrumentName: '*.duration', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM, options: { maxSize: 6 } } }]],
  ['wildcard in the middle', [{ instrumentName: 'http.*.requests', aggregation: { type: AggregationType.DROP } }]],
  ['a name pattern that matches nothing', [{ instrumentName: 'nothing.*', aggregation: { type: AggregationType.DROP } }]],
  ['instrumentType selector', [{ instrumentType: InstrumentType.HISTOGRAM, aggregation: { type: AggregationType.SUM } }]],
  [
    'instrumentUnit selector',
    [{ instrumentUnit: 'ms', aggregation: { type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM, options: { boundaries: [1, 10, 50] } } }],
  ],
  ['meterName selector', [{ meterName: 'lib.db', aggregation: { type: AggregationType.DROP } }]],
  ['meterVersion selector', [{ meterVersion: '1.2.3', description: 'from meter 1.2.3' }]],
  ['meterSchemaUrl selector', [{ meterSchemaUrl: 'https://opentelemetry.io/schemas/1.21.0', description: 'schema-selected' }]],
  // sdk-metrics ignores a schema URL selector for meters created without a schema URL; fastmeter must too.
  ['meterSchemaUrl selector on a meter without one', [{ meterName: 'plain', meterSchemaUrl: 'https://example.com/other', description: 'x' }]],
  ['meterVersion selector that does not match', [{ meterName: 'app', meterVersion: '9.9.9', aggregation: { type: AggregationType.DROP } }]],
  ['drop by type', [{ instrumentType: InstrumentType.OBSERVABLE_GAUGE, aggregation: { type: AggregationType.DROP } }]],
  [
    'aggregation override: histogram bounds',
    [
      {
        instrumentName: 'db.client.duration',
        aggregation: { type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM, options: { boundaries: [0.5, 5], recordMinMax: false } },
      },
    ],
  ],
  ['aggregation override: sum on a gauge', [{ instrumentName: 'app.temperature', aggregation: { type: AggregationType.SUM } }]],
  ['aggregation override: last value on a counter', [{ instrumentName: 'db.client.calls', aggregation: { type: AggregationType.LAST_VALUE } }]],
  ['aggregation override: sum on an observable gauge', [{ instrumentName: 'process.memory.usage', aggregation: { type: AggregationType.SUM } }]],
  ['aggregation override: last value on an observable counter', [{ instrumentName: 'process.cpu.time', aggregation: { type: AggregationType.LAST_VALUE } }]],
  [
    'several views on one instrument, renamed apart',
    [
      { instrumentName: 'http.server.duration', name: 'http.latency.by_route', attributesProcessors: [createAllowListAttributesProcessor(['route'])] },
      {
        instrumentName: 'http.server.duration',
        name: 'http.latency.exp',
        aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM, options: { maxSize: 5 } },
      },
      { instrumentName: 'http.server.duration', name: 'http.latency.count', aggregation: { type: AggregationType.SUM } },
    ],
  ],
  [
    'a renamed view beside a wildcard view',
    [
      { instrumentName: 'http.server.requests', name: 'requests.by_method', attributesProcessors: [createAllowListAttributesProcessor(['method'])] },
      { instrumentName: 'db.*', description: 'database' },
    ],
  ],
  [
    'overlapping selectors: type and meter',
    [
      { instrumentType: InstrumentType.COUNTER, aggregation: { type: AggregationType.SUM } },
      { meterName: 'plain', description: 'plain meter' },
    ],
  ],
  ['a view renaming onto another instrument name (both exported)', [{ instrumentName: 'db.client.calls', name: 'http.server.requests' }]],
];

describe('views, with a cumulative and a delta reader', () => {
  for (const [name, views] of CASES) {
    it(name, async () => {
      await expectConformance({ views, readers: TWO_READERS }, appScenario);
    });
  }
});

describe('views, with delta-only readers', () => {
  for (const [name, views] of CASES) {
    it(name, async () => {
      await expectConformance({ views, readers: [{ temporality: 'delta' }] }, appScenario);
    });
  }
});

describe("fastmeter's own allow/deny-list processors behave as sdk-metrics' ones", () => {
  it('allow-list and deny-list', async () => {
    await expectConformance(
      impl => ({
        views: [
          {
            instrumentName: 'http.*',
            attributesProcessors: [(impl === 'fastmeter' ? fastAllowList : createAllowListAttributesProcessor)(['method', 'status'])],
          },
          { instrumentName: 'db.*', attributesProcessors: [(impl === 'fastmeter' ? fastDenyList : createDenyListAttributesProcessor)(['state'])] },
        ],
        readers: TWO_READERS,
      }),
      appScenario,
    );
  });
});

describe('view validation', () => {
  const INVALID: [string, ViewOptions][] = [
    ['no selector', { name: 'x' } as ViewOptions],
    ['no selector, only an aggregation', { aggregation: { type: AggregationType.SUM } }],
    ['a name with a wildcard instrument selector', { name: 'renamed', instrumentName: 'http.*' }],
    ['a name without an instrument name', { name: 'renamed', instrumentType: InstrumentType.COUNTER }],
    [
      'explicit histogram options without boundaries',
      { instrumentName: 'x', aggregation: { type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM, options: {} as never } },
    ],
    ['an unknown aggregation type', { instrumentName: 'x', aggregation: { type: 42 } as never }],
  ];
  for (const [name, view] of INVALID) {
    it(`throws the same message for ${name}`, () => {
      const thrown = (create: () => unknown): string => {
        try {
          create();
        } catch (err) {
          return (err as Error).message;
        }
        return 'did not throw';
      };
      const sdk = thrown(() => new MeterProvider({ views: [view] }));
      const fast = thrown(() => new FastMeterProvider({ views: [view] }));
      expect(sdk).not.toBe('did not throw');
      expect(fast).toBe(sdk);
    });
  }
});
