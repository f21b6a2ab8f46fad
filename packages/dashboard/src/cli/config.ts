// The backend's configuration file (YAML or JSON), as the CLI reads it:
//
//   receiver:  { port: 4318, host: 127.0.0.1, maxBodyBytes: 20971520 }
//   dashboard: { port: 9470, host: 127.0.0.1, token: ..., title: my services }
//   ring:      { slots: 300, intervalMillis: 1000, maxSeries: 10000 }     (RingBufferReader options)
//   alerts:
//     evaluationInterval: 5s
//     groupWait: 30s
//     groupInterval: 5m
//     repeatInterval: 4h
//     webhooks: [ http://127.0.0.1:9000/hook ]
//     rules:
//       - name: HighErrorRate
//         expr: sum(rate(http.server.requests{status="500"}[1m])) > 5
//         for: 1m
//         labels: { severity: page }
//         annotations: { summary: "more than 5 errors/s" }
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import type { AlertRuleOptions } from '../alerts/rule.js';
import type { WebhookOptions } from '../alerts/webhook.js';
import { DashboardConfigError } from '../common/errors.js';

export interface BackendConfig {
  receiver?: { port?: number; host?: string; maxBodyBytes?: number } | false;
  dashboard?: { port?: number; host?: string; token?: string; title?: string; maxFps?: number } | false;
  ring?: Record<string, unknown>;
  alerts?: {
    evaluationInterval?: string | number;
    groupWait?: string | number;
    groupInterval?: string | number;
    repeatInterval?: string | number;
    cooldown?: string | number;
    webhooks?: (string | WebhookOptions)[];
    rules?: AlertRuleOptions[];
  };
}

const SECTIONS = new Set(['receiver', 'dashboard', 'ring', 'alerts']);

export function checkConfig(config: unknown, where: string): BackendConfig {
  if (config === null || config === undefined) return {};
  if (typeof config !== 'object' || Array.isArray(config)) throw new DashboardConfigError('FM_CONFIG_FILE', `${where}: the top level must be a mapping`);
  for (const key of Object.keys(config)) {
    if (!SECTIONS.has(key)) throw new DashboardConfigError('FM_CONFIG_FILE', `${where}: unknown section "${key}" (expected ${[...SECTIONS].join(', ')})`);
  }
  const c = config as BackendConfig;
  for (const key of ['receiver', 'dashboard', 'ring', 'alerts'] as const) {
    const v = c[key];
    if (v !== undefined && v !== false && (v === null || typeof v !== 'object' || Array.isArray(v))) {
      throw new DashboardConfigError('FM_CONFIG_FILE', `${where}: "${key}" must be a mapping`);
    }
  }
  if (c.alerts?.rules !== undefined && !Array.isArray(c.alerts.rules))
    throw new DashboardConfigError('FM_CONFIG_FILE', `${where}: alerts.rules must be a list`);
  if (c.alerts?.webhooks !== undefined && !Array.isArray(c.alerts.webhooks))
    throw new DashboardConfigError('FM_CONFIG_FILE', `${where}: alerts.webhooks must be a list`);
  return c;
}

/** Reads a YAML (or JSON, a subset of YAML) configuration file. */
export async function loadConfig(path: string): Promise<BackendConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new DashboardConfigError('FM_CONFIG_FILE', `cannot read ${path}: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (err) {
    throw new DashboardConfigError('FM_CONFIG_FILE', `${path} is not valid YAML: ${(err as Error).message}`);
  }
  return checkConfig(parsed, path);
}
