// Flush and shut down when the process ends, without changing how it ends:
//
// - SIGTERM / SIGINT: listening to a signal replaces Node's default action
//   (terminate). So when our listener is the only one, it shuts the provider
//   down (bounded by the export timeout), removes itself and raises the same
//   signal again: the process then dies of it, with the conventional status
//   (128 + signal number). When the application has its own listener, that
//   listener decides; ours only flushes (the application may still record
//   while it drains), and the shutdown comes with beforeExit. A second signal
//   during the shutdown terminates at once.
// - beforeExit: the event loop is empty; the final export runs, then the
//   process exits as it was about to (readers' timers are unref'd).
//
// process.exit() called by the application ends the process synchronously:
// no asynchronous export can run then. Such applications call
// `await shutdown()` first (see README).
import { log } from '../config/report.js';

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

export interface ExitHooks {
  remove(): void;
}

/** `work()` raced against `timeoutMillis`; never rejects. */
function bounded(what: string, work: () => Promise<void>, timeoutMillis: number): Promise<void> {
  return new Promise<void>(resolve => {
    const timer = setTimeout(() => {
      log('warn', `${what} did not finish within ${timeoutMillis} ms; not waiting further`);
      resolve();
    }, timeoutMillis);
    timer.unref();
    work().then(
      () => {
        clearTimeout(timer);
        resolve();
      },
      err => {
        clearTimeout(timer);
        log('error', `${what} failed: ${(err as Error)?.message ?? err}`);
        resolve();
      },
    );
  });
}

/** Installs the hooks; `flush` and `shutdown` are each raced against `timeoutMillis`. */
export function installExitHooks(actions: { flush(): Promise<void>; shutdown(): Promise<void> }, timeoutMillis: number): ExitHooks {
  let stopping: Promise<void> | undefined;
  const shutdown = (): Promise<void> => {
    stopping ??= bounded('shutdown', actions.shutdown, timeoutMillis);
    return stopping;
  };

  const handlers = new Map<NodeJS.Signals, () => void>();
  for (const signal of SIGNALS) {
    const handler = (): void => {
      const alone = process.listenerCount(signal) === 1;
      if (!alone) {
        if (stopping === undefined) void bounded('flush', actions.flush, timeoutMillis);
        return;
      }
      if (stopping !== undefined) {
        // Second signal while flushing: terminate now.
        reraise(signal, handler);
        return;
      }
      // While flushing, keep the process alive even if nothing else does.
      const keepAlive = setInterval(() => {}, 1 << 30);
      void shutdown().then(() => {
        clearInterval(keepAlive);
        // The application may have added its own listener meanwhile: then it decides.
        if (process.listeners(signal).every(l => l === handler)) reraise(signal, handler);
      });
    };
    handlers.set(signal, handler);
    process.on(signal, handler);
  }
  const beforeExit = (): void => {
    void shutdown();
  };
  process.once('beforeExit', beforeExit);

  return {
    remove() {
      for (const [signal, handler] of handlers) process.removeListener(signal, handler);
      process.removeListener('beforeExit', beforeExit);
    },
  };
}

function reraise(signal: NodeJS.Signals, handler: () => void): void {
  process.removeListener(signal, handler);
  process.kill(process.pid, signal);
}
