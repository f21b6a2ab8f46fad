// The seeded random suite: at least 1,000 generated call sequences, each run
// against sdk-metrics and fastmeter and compared collection by collection.
//
// Replay one sequence:   CONFORMANCE_SEED=<seed> npx vitest run test/conformance/random.test.ts
// Run more sequences:    CONFORMANCE_SEQUENCES=20000 npx vitest run test/conformance/random.test.ts
import { InstrumentType } from '@opentelemetry/sdk-metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { differences, useFakeDate } from './harness.js';
import { ALL_KINDS } from './kinds.js';
import { generate } from './random/generate.js';
import { type Program, summarise } from './random/program.js';
import { execute, worldConfig } from './random/run.js';

useFakeDate({ beforeAll, afterAll });

const BASE_SEED = 0x5eed_2026;
const SEQUENCES = Number(process.env.CONFORMANCE_SEQUENCES ?? 1200);
const ONLY = process.env.CONFORMANCE_SEED === undefined ? undefined : Number(process.env.CONFORMANCE_SEED);
const CHUNK = 100;

const seeds = ONLY !== undefined ? [ONLY] : Array.from({ length: SEQUENCES }, (_, i) => BASE_SEED + i);

/** What the sequences exercised, to check the generator keeps its coverage. */
const coverage = {
  sequences: 0,
  collections: 0,
  points: 0,
  kinds: new Map<InstrumentType, number>(),
  withViews: 0,
  withSeveralReaders: 0,
  withBatchCallbacks: 0,
  withCardinalityLimits: 0,
  records: 0,
};

function count(program: Program, points: number, collections: number): void {
  coverage.sequences++;
  coverage.collections += collections;
  coverage.points += points;
  for (const kind of new Set(program.instruments.map(i => i.kind))) coverage.kinds.set(kind, (coverage.kinds.get(kind) ?? 0) + 1);
  if (program.views.length > 0) coverage.withViews++;
  if (program.readers.length > 1) coverage.withSeveralReaders++;
  if (program.batches.length > 0) coverage.withBatchCallbacks++;
  if (program.readers.some(r => r.syncLimit !== null) || program.views.some(v => v.limit !== undefined && v.limit < 50)) coverage.withCardinalityLimits++;
  coverage.records += program.steps.filter(s => s.op === 'record').length;
}

async function check(seed: number): Promise<void> {
  const program = generate(seed);
  let points = 0;
  let collections = 0;
  const found = await differences(
    () => worldConfig(program),
    async w => {
      await execute(program, w);
      if (w.impl === 'sdk-metrics') {
        collections = w.collections.length;
        for (const c of w.collections)
          for (const s of c.data.scopes as { metrics: { dataPoints: unknown[] }[] }[]) for (const m of s.metrics) points += m.dataPoints.length;
      }
    },
  );
  count(program, points, collections);
  if (found.length > 0) {
    const shown = found.slice(0, 10).join('\n  ');
    throw new Error(
      `seed ${seed}: fastmeter differs from sdk-metrics (replay: CONFORMANCE_SEED=${seed} npx vitest run test/conformance/random.test.ts)\n${summarise(program)}\n  ${shown}`,
    );
  }
}

describe(`random call sequences (${seeds.length}, seeds from ${seeds[0]})`, () => {
  for (let from = 0; from < seeds.length; from += CHUNK) {
    const chunk = seeds.slice(from, from + CHUNK);
    it(`seeds ${chunk[0]}..${chunk[chunk.length - 1]}`, async () => {
      for (const seed of chunk) await check(seed);
    });
  }

  it.runIf(ONLY === undefined)('covers every instrument kind, views, several readers, batch callbacks and limits', () => {
    expect(coverage.sequences).toBe(seeds.length);
    expect(coverage.sequences).toBeGreaterThanOrEqual(1000);
    for (const kind of ALL_KINDS) expect(coverage.kinds.get(kind) ?? 0, kind).toBeGreaterThan(seeds.length / 10);
    expect(coverage.withViews).toBeGreaterThan(seeds.length / 4);
    expect(coverage.withSeveralReaders).toBeGreaterThan(seeds.length / 3);
    expect(coverage.withBatchCallbacks).toBeGreaterThan(seeds.length / 20);
    expect(coverage.withCardinalityLimits).toBeGreaterThan(seeds.length / 50);
    expect(coverage.points).toBeGreaterThan(seeds.length * 5);
    expect(coverage.kinds.get(InstrumentType.HISTOGRAM)).toBeGreaterThan(0);
  });
});
