import { MetricReader } from '@opentelemetry/sdk-metrics';

/** A pull reader without a server, for micro-benchmarks that read back what they recorded. */
export class TestReader extends MetricReader {
  async onShutdown() {}
  async onForceFlush() {}
}
