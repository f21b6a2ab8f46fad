#!/usr/bin/env node
// The `fastmeter` command: see `fastmeter --help`.
'use strict';
require('../dist/cjs/cli/main.js')
  .main(process.argv.slice(2))
  .then(
    code => {
      if (code !== undefined) process.exitCode = code;
    },
    err => {
      console.error(`fastmeter: ${err?.message ?? err}`);
      process.exitCode = 1;
    },
  );
