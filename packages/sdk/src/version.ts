// Kept in step with package.json by scripts/build-package.mjs' check.
export const VERSION = '0.1.0';
