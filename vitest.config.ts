import { defineConfig } from 'vitest/config';

// Workspace packages export their TypeScript sources under the "source"
// condition, so tests run against src/ without a build. The CommonJS and ESM
// builds are tested separately (test/packaging).
const conditions = ['source', 'node', 'import', 'default'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['node', 'import', 'default'] } },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/*/**/*.test.ts', 'examples/*/test/**/*.test.ts', 'bench/test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
