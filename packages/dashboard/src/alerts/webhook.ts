// Webhook notifier: POSTs each notification as Alertmanager's webhook JSON
// (https://prometheus.io/docs/alerting/latest/configuration/#webhook_config),
// so receivers written for Alertmanager accept it. Bounded: a timeout per
// attempt, a few retries with backoff, then a rate-limited warning.
import { diag } from '@opentelemetry/api';
import { DashboardConfigError } from '../common/errors.js';
import type { AlertNotification, Notifier } from './engine.js';

export interface WebhookOptions {
  url: string;
  /** Extra request headers (e.g. authorization). */
  headers?: Record<string, string>;
  /** Per attempt (default 10 s). */
  timeoutMillis?: number;
  /** Attempts after the first (default 2; waits 1 s, then 2 s). */
  retries?: number;
}

const ZERO_TIME = '0001-01-01T00:00:00Z';

/** The Alertmanager webhook payload (version 4) for a notification. */
export function webhookPayload(n: AlertNotification, receiver = 'fastmeter'): Record<string, unknown> {
  return {
    version: '4',
    receiver,
    status: n.status,
    groupKey: `{}:{alertname=${JSON.stringify(n.groupKey)}}`,
    truncatedAlerts: 0,
    groupLabels: n.groupLabels,
    commonLabels: n.commonLabels,
    commonAnnotations: n.alerts.length > 0 ? n.alerts[0].annotations : {},
    externalURL: '',
    alerts: n.alerts.map(a => ({
      status: a.state === 'resolved' ? 'resolved' : 'firing',
      labels: a.labels,
      annotations: a.annotations,
      startsAt: new Date(a.firedAt ?? a.activeAt).toISOString(),
      endsAt: a.resolvedAt === undefined ? ZERO_TIME : new Date(a.resolvedAt).toISOString(),
      generatorURL: '',
      fingerprint: '',
      value: a.value,
    })),
  };
}

export function webhookNotifier(options: string | WebhookOptions): Notifier {
  const o: WebhookOptions = typeof options === 'string' ? { url: options } : options;
  let url: URL;
  try {
    url = new URL(o?.url);
  } catch {
    throw new DashboardConfigError('FM_DASHBOARD_OPTION', `webhook url ${JSON.stringify(o?.url)} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new DashboardConfigError('FM_DASHBOARD_OPTION', `webhook url must be http(s): ${url.href}`);
  const timeout = o.timeoutMillis ?? 10_000;
  const retries = o.retries ?? 2;
  let lastWarning = 0;
  return async notification => {
    const body = JSON.stringify(webhookPayload(notification));
    let lastError = '';
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (attempt > 0) await new Promise(resolve => setTimeout(resolve, 1000 * 2 ** (attempt - 1)).unref());
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...o.headers },
          body,
          signal: AbortSignal.timeout(timeout),
        });
        await res.arrayBuffer();
        if (res.ok) return;
        lastError = `HTTP ${res.status}`;
        if (res.status < 500 && res.status !== 429) break; // the receiver refuses it: retrying will not help
      } catch (err) {
        lastError = (err as Error)?.message ?? String(err);
      }
    }
    if (Date.now() - lastWarning > 10_000) {
      lastWarning = Date.now();
      diag.warn(`fastmeter alerts: webhook ${url.origin}${url.pathname} failed: ${lastError}`);
    }
  };
}
