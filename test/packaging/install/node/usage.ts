// @fastmeter/node's declarations, type-checked under --strict / nodenext.
import { type FastMeterNode, type NodeConfig, type StartOptions, loadConfig, running, shutdown, start } from '@fastmeter/node';
import { startTimer, time } from '@fastmeter/sdk';
import { metrics } from '@opentelemetry/api';

const options: StartOptions = { env: { OTEL_METRICS_EXPORTER: 'none' }, runtimeMetrics: false, exitHooks: false };
const node: FastMeterNode | undefined = start(options);
const config: NodeConfig = loadConfig({ env: {} }).config;
const intervals: number[] = config.readers.flatMap(r => (r.kind === 'periodic' ? [r.intervalMillis] : []));
const duration = metrics.getMeter('usage').createHistogram('op.duration', { unit: 's' });
const end = startTimer(duration, { op: 'a' });
const seconds: number = end({ status: 'ok' });
const doubled: Promise<number> = time(duration, async () => 2 * seconds);
void [node?.provider, running(), intervals, doubled, shutdown()];
