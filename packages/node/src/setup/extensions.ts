// Other fastmeter packages, wired when they are installed and configured
// (`fastmeter:` section of the configuration file, or `extensions` in
// start()). Each is loaded by package name at start, so @fastmeter/node does
// not depend on them.
//
// The contract, for packages that want to plug in: export a function
//   nodeSetup(options, context) => NodeExtension
// returning the readers and measurement processors to add, and optional hooks
// called once the provider is registered and when it shuts down. `context`
// carries what earlier extensions returned (the dashboard receives the ring).
// Extensions run in the order processors → ring → dashboard.
import type { FastMeterProvider, IMetricReader, MeasurementProcessor } from '@fastmeter/sdk';
import type { ExtensionsConfig } from '../config/model.js';
import { log } from '../config/report.js';
import { isInstalled, load } from './load.js';

export interface NodeExtension {
  readers?: IMetricReader[];
  processors?: MeasurementProcessor[];
  /**
   * Wraps each push exporter @fastmeter/node builds, before its periodic reader (e.g. a circuit
   * breaker). Called while the readers are built, before the provider exists; `processors` is read after.
   */
  wrapExporter?(exporter: unknown, name: string): unknown;
  /** Called once the provider exists (and is registered, from the register entry). */
  started?(provider: FastMeterProvider): void;
  /** Called by shutdown(), after the provider shut down. */
  shutdown?(): Promise<void> | void;
  /** Anything the extension wants later ones to see (e.g. the ring reader). */
  [key: string]: unknown;
}

export interface NodeExtensionContext {
  /** Extensions already set up, by key (`processors`, `ring`). */
  extensions: Partial<Record<keyof ExtensionsConfig, NodeExtension>>;
}

export type NodeSetup = (options: Record<string, unknown>, context: NodeExtensionContext) => NodeExtension;

export const EXTENSION_PACKAGES: Record<keyof ExtensionsConfig, string> = {
  processors: '@fastmeter/processors',
  ring: '@fastmeter/ring',
  dashboard: '@fastmeter/dashboard',
};

type Module = { nodeSetup?: NodeSetup; RingBufferReader?: new (options: Record<string, unknown>) => IMetricReader };

function setupOne(key: keyof ExtensionsConfig, options: Record<string, unknown>, context: NodeExtensionContext): NodeExtension | undefined {
  const name = EXTENSION_PACKAGES[key];
  if (!isInstalled(name)) {
    log('error', `fastmeter.${key} is configured but ${name} is not installed (npm install ${name}); skipped`);
    return undefined;
  }
  const mod = load<Module>(name);
  if (typeof mod.nodeSetup === 'function') return mod.nodeSetup(options, context);
  // The ring's documented reader, for a version without nodeSetup.
  if (key === 'ring' && typeof mod.RingBufferReader === 'function') {
    const ring = new mod.RingBufferReader(options);
    return { readers: [ring], ring };
  }
  log('error', `${name} does not export nodeSetup(options, context); fastmeter.${key} skipped`);
  return undefined;
}

/** Loads and sets up every configured extension (in order); a failing one is reported and skipped. */
export function setupExtensions(config: ExtensionsConfig): NodeExtensionContext['extensions'] {
  const context: NodeExtensionContext = { extensions: {} };
  for (const key of ['processors', 'ring', 'dashboard'] as const) {
    const options = config[key];
    if (options === undefined) continue;
    try {
      const extension = setupOne(key, options, context);
      if (extension === undefined) continue;
      context.extensions[key] = extension;
    } catch (err) {
      log('error', `fastmeter.${key}: ${EXTENSION_PACKAGES[key]} failed to set up: ${(err as Error).message}; skipped`);
    }
  }
  return context.extensions;
}
