// A small "application": three meters (one with a version and a schema URL),
// every instrument kind, realistic attributes, several intervals. Views and
// reader configurations are tested by running it under each configuration.
import { type Attributes, ValueType } from '@opentelemetry/api';
import { InstrumentType } from '@opentelemetry/sdk-metrics';
import type { World } from './harness.js';
import { type AnyInstrument, createInstrument } from './kinds.js';

const METHODS = ['GET', 'POST', 'DELETE'];
const ROUTES = ['/users', '/users/:id', '/health'];
const STATUS = [200, 201, 404, 500];

function httpAttributes(i: number): Attributes {
  const method = METHODS[i % METHODS.length];
  const route = ROUTES[(i >> 1) % ROUTES.length];
  const status = STATUS[(i * 7) % STATUS.length];
  // Reordered keys and a boolean now and then: the same set must be the same series.
  if (i % 3 === 0) return { status, route, method };
  if (i % 5 === 0) return { method, route, status, retry: i % 2 === 0 };
  return { method, route, status };
}

export interface AppInstruments {
  all: AnyInstrument[];
}

export function createApp(w: World): AppInstruments {
  const app = w.meter('app', '1.2.3', { schemaUrl: 'https://opentelemetry.io/schemas/1.21.0' });
  const lib = w.meter('lib.db', '0.1.0');
  const plain = w.meter('plain');
  const all = [
    createInstrument(app, InstrumentType.HISTOGRAM, 'http.server.duration', { unit: 'ms', description: 'Duration of HTTP requests' }),
    createInstrument(app, InstrumentType.COUNTER, 'http.server.requests', { unit: '{request}', valueType: ValueType.INT }),
    createInstrument(app, InstrumentType.UP_DOWN_COUNTER, 'http.server.active', { valueType: ValueType.INT }),
    createInstrument(app, InstrumentType.GAUGE, 'app.temperature', { unit: 'Cel' }),
    createInstrument(lib, InstrumentType.HISTOGRAM, 'db.client.duration', { unit: 's', advice: { explicitBucketBoundaries: [0.01, 0.1, 1, 10] } }),
    createInstrument(lib, InstrumentType.COUNTER, 'db.client.calls'),
    createInstrument(lib, InstrumentType.OBSERVABLE_UP_DOWN_COUNTER, 'db.client.connections', { unit: '{connection}' }),
    createInstrument(plain, InstrumentType.OBSERVABLE_COUNTER, 'process.cpu.time', { unit: 's' }),
    createInstrument(plain, InstrumentType.OBSERVABLE_GAUGE, 'process.memory.usage', { unit: 'By', valueType: ValueType.INT }),
  ];
  return { all };
}

function observe(inst: AnyInstrument, interval: number): void {
  switch (inst.kind) {
    case InstrumentType.OBSERVABLE_COUNTER:
      inst.setObservations([
        [1.5 * (interval + 1), { state: 'user', cpu: 0 }],
        [0.5 * (interval + 1), { state: 'system', cpu: 0 }],
        [2 * (interval + 1), { state: 'user', cpu: 1 }],
      ]);
      return;
    case InstrumentType.OBSERVABLE_UP_DOWN_COUNTER:
      inst.setObservations([
        [10 - interval * 3, { pool: 'main', state: 'used' }],
        [interval * 3, { pool: 'main', state: 'idle' }],
      ]);
      return;
    default:
      inst.setObservations([
        [1_000_000 + interval * 4096, { type: 'heap' }],
        [interval === 1 ? 77.7 : 55, undefined],
      ]);
  }
}

function record(inst: AnyInstrument, interval: number): void {
  const n = 12 - interval * 3;
  for (let i = 0; i < n; i++) {
    const attrs = httpAttributes(i + interval);
    switch (inst.kind) {
      case InstrumentType.HISTOGRAM:
        inst.record(((i * 37 + interval * 11) % 500) / 7, attrs);
        break;
      case InstrumentType.COUNTER:
        inst.record(i % 4, attrs);
        break;
      case InstrumentType.UP_DOWN_COUNTER:
        inst.record(i % 2 === 0 ? 1 : -1, attrs);
        break;
      default:
        inst.record(20 + i / 4 - interval, i % 2 === 0 ? { room: 'a' } : { room: 'b' });
    }
  }
}

/** Which readers collect after an interval; default: all of them, in order. */
export type CollectPlan = (interval: number, readers: number) => number[];

export const EVERY_READER: CollectPlan = (_interval, readers) => Array.from({ length: readers }, (_, i) => i);

/** Reader 0 after every interval, the others every other interval and in reverse order. */
export const STAGGERED: CollectPlan = (interval, readers) => {
  const others = Array.from({ length: readers - 1 }, (_, i) => readers - 1 - i);
  return interval % 2 === 1 ? [0, ...others] : [0];
};

/** Runs the application for five intervals and collects readers after each. */
export async function appScenario(w: World, plan: CollectPlan = EVERY_READER): Promise<void> {
  const { all } = createApp(w);
  for (let interval = 0; interval < 5; interval++) {
    for (const inst of all) {
      // Observable counters keep growing: a reset seen by several readers differs on purpose (DIFFERENCES.md).
      if (inst.observable !== undefined) observe(inst, inst.kind === InstrumentType.OBSERVABLE_COUNTER ? interval : interval % 4);
      else if (interval !== 2) record(inst, interval % 4);
    }
    w.advance(997);
    for (const reader of plan(interval, w.readers.length)) {
      await w.collect(reader);
      w.advance(1);
    }
    w.advance(5);
  }
}
