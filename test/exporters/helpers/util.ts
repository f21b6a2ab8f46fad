import { type DiagLogger, DiagLogLevel, diag } from '@opentelemetry/api';

/** Rejects after `ms` so that a hung exporter or server fails the test instead of stalling the run. */
export function withTimeout<T>(promise: Promise<T>, ms: number, label: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${label}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Captures what the SDKs and the exporters report through `diag` at WARN and
 * above. The exporters report problems (collection errors, unknown point types,
 * failed exports) only there, so a test that expects none asserts this is empty.
 */
export function captureDiag(): { messages: string[]; dispose(): void } {
  const messages: string[] = [];
  const keep =
    (level: string) =>
    (message: string, ...args: unknown[]) =>
      messages.push(`${level}: ${message} ${args.map(a => (a instanceof Error ? a.message : String(a))).join(' ')}`.trim());
  const logger: DiagLogger = {
    error: keep('error'),
    warn: keep('warn'),
    info: () => {},
    debug: () => {},
    verbose: () => {},
  };
  diag.setLogger(logger, { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
  return { messages, dispose: () => diag.disable() };
}
