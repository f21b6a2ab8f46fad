// @fastmeter/sdk as the benches load it: the snapshot of the built package taken by run.mjs
// (FASTMETER_SDK, inherited by child processes), or the package itself when a child script is
// run on its own.
const url = process.env.FASTMETER_SDK;
export const fastmeter = url ? await import(url) : await import('@fastmeter/sdk');
