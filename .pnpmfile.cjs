// pnpm hooks for this workspace.
//
// beforePacking shapes the package.json that `pnpm pack` / `pnpm publish` put in a tarball
// (the file in the repository is unchanged). What only makes sense inside the workspace goes:
//   - the "source" export condition: it points at src/*.ts so that tests and sibling packages
//     run without a build; src is not published, so it would point at nothing;
//   - devDependencies and scripts (builds and checks that run from the repository).
// test/packaging/install.test.ts checks the result for every package.
'use strict';

function withoutSource(conditions) {
  if (conditions === null || typeof conditions !== 'object' || Array.isArray(conditions)) return conditions;
  const out = {};
  for (const [key, value] of Object.entries(conditions)) if (key !== 'source') out[key] = withoutSource(value);
  return out;
}

module.exports = {
  hooks: {
    beforePacking(pkg) {
      if (pkg.exports !== undefined) pkg.exports = withoutSource(pkg.exports);
      delete pkg.devDependencies;
      delete pkg.scripts;
      return pkg;
    },
  },
};
