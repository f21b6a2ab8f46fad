// The worker's end of the cluster IPC channel (`process.send` / `process.on('message')`).
import cluster from 'node:cluster';

export interface WorkerChannel {
  /** Hands a message to the channel; `done` runs once it is written (or failed). Never throws. */
  send(message: object, done: (err: Error | null) => void): void;
  listen(onMessage: (message: unknown) => void, onDisconnect: () => void): () => void;
  readonly connected: boolean;
}

/** The channel of this process when it is a node:cluster worker, else null. */
export function clusterChannel(): WorkerChannel | null {
  if (!cluster.isWorker || typeof process.send !== 'function') return null;
  return {
    send(message, done) {
      try {
        if (!process.connected) {
          done(new Error('the IPC channel to the primary is closed'));
          return;
        }
        // With a callback, a failed send reports there instead of emitting 'error' on process.
        (process.send as (m: unknown, cb: (err: Error | null) => void) => boolean)(message, done);
      } catch (err) {
        done(err as Error);
      }
    },
    listen(onMessage, onDisconnect) {
      process.on('message', onMessage);
      process.on('disconnect', onDisconnect);
      return () => {
        process.off('message', onMessage);
        process.off('disconnect', onDisconnect);
      };
    },
    get connected() {
      return process.connected === true;
    },
  };
}
