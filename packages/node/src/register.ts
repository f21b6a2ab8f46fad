// `node --import @fastmeter/node/register app.js` (ES modules) or
// `node --require @fastmeter/node/register app.js` (CommonJS): builds a
// FastMeterProvider from OTEL_CONFIG_FILE or the OTEL_* environment variables
// and registers it as the global meter provider before the application's first
// line runs. Creates no instrumentation object (a require hook installed before
// auto-instrumentations-node's would keep modules unpatched).
//
// Worker threads inherit the preload flags; the register entry does nothing
// there (one provider per process: threads record into the main thread's
// provider through @fastmeter/workers).
import { isMainThread } from 'node:worker_threads';
import { start } from './start.js';

if (isMainThread) start();
