// Alert evaluation and notification, with Prometheus' alert states and
// Alertmanager's notification timing (https://prometheus.io/docs/alerting/latest/configuration/#route):
//
//   evaluation (every evaluationInterval)      notification (per rule = per group)
//   ─────────────────────────────────────      ──────────────────────────────────────────────
//   condition true, new      → pending          first alert fires → wait groupWait (30 s),
//   pending for ≥ `for`      → firing             then notify every firing alert of the rule
//   condition false, pending → dropped          a change (new alert fires, one resolves)
//   condition false, firing  → resolved           → notify again groupInterval (5 m) after the last
//                                               nothing changed, still firing
//                                                 → notify again after repeatInterval (4 h, the cooldown)
//
// Notifications go out on evaluation ticks, so their timing is exact to one
// evaluationInterval. Everything reads time from `clock.now()`: tests drive the
// engine with a fake clock and `evaluate()`.
import { diag } from '@opentelemetry/api';
import { parseDuration } from '../common/duration.js';
import { DashboardConfigError } from '../common/errors.js';
import type { Labels, QuerySource } from '../query/source.js';
import { type AlertRule, type AlertRuleOptions, compare, toRule } from './rule.js';
import { type WebhookOptions, webhookNotifier } from './webhook.js';

export type AlertState = 'pending' | 'firing' | 'resolved';

export interface Alert {
  readonly rule: string;
  /** Series labels, then the rule's labels, then `alertname`. */
  readonly labels: Labels;
  readonly annotations: Readonly<Record<string, string>>;
  state: AlertState;
  /** The query's value at the last evaluation that matched. */
  value: number;
  /** When the condition started to hold (ms). */
  activeAt: number;
  firedAt?: number;
  resolvedAt?: number;
}

export interface AlertNotification {
  /** 'firing' while any alert of the group fires, else 'resolved'. */
  status: 'firing' | 'resolved';
  /** The rule name: alerts are grouped by rule (Alertmanager's group_by: [alertname]). */
  groupKey: string;
  groupLabels: Labels;
  /** Labels every alert of the notification shares. */
  commonLabels: Labels;
  /** Firing alerts and the alerts resolved since the last notification. */
  alerts: Alert[];
  /** When it was sent (ms). */
  time: number;
}

export type Notifier = (notification: AlertNotification) => void | Promise<void>;

export interface AlertEngineOptions {
  /** Where queries are answered: `ringSource(ring)` or any QuerySource. */
  source: QuerySource;
  rules?: AlertRuleOptions[];
  /** How often rules are evaluated (default 5s). */
  evaluationInterval?: string | number;
  /** Wait before the first notification of a group (default 30s). */
  groupWait?: string | number;
  /** Wait before notifying a change to an already notified group (default 5m). */
  groupInterval?: string | number;
  /** Wait before repeating an unchanged notification (default 4h). `cooldown` is another name for it. */
  repeatInterval?: string | number;
  cooldown?: string | number;
  /** Called with every notification. */
  notifiers?: Notifier[];
  /** URLs (or options) that receive every notification as a POST of Alertmanager's webhook JSON. */
  webhooks?: (string | WebhookOptions)[];
  /** Time source (default Date.now); tests pass a fake one and call evaluate(). */
  clock?: { now(): number };
}

interface Group {
  firstFiringAt: number | undefined;
  lastNotifiedAt: number | undefined;
  changed: boolean;
  resolved: Alert[];
}

export const ALERT_DEFAULTS = { evaluationInterval: 5_000, groupWait: 30_000, groupInterval: 300_000, repeatInterval: 14_400_000 } as const;

function labelsKey(labels: Labels): string {
  return JSON.stringify(
    Object.keys(labels)
      .sort()
      .map(k => [k, labels[k]]),
  );
}

export class AlertEngine {
  readonly evaluationInterval: number;
  readonly groupWait: number;
  readonly groupInterval: number;
  readonly repeatInterval: number;
  private readonly _source: QuerySource;
  private readonly _clock: { now(): number };
  private readonly _rules = new Map<string, AlertRule>();
  /** Active (pending or firing) alerts by rule, then by labels key. */
  private readonly _active = new Map<string, Map<string, Alert>>();
  private readonly _groups = new Map<string, Group>();
  private readonly _notifiers: Notifier[] = [];
  private readonly _listeners = new Set<(alerts: Alert[]) => void>();
  private readonly _errors = new Map<string, string>();
  private _timer: NodeJS.Timeout | undefined = undefined;
  private _running: Promise<void> | undefined = undefined;
  private readonly _recent: AlertNotification[] = [];

  constructor(options: AlertEngineOptions) {
    if (options === null || typeof options !== 'object' || typeof options.source?.instant !== 'function') {
      throw new DashboardConfigError('FM_DASHBOARD_OPTION', 'AlertEngine: options.source must be a QuerySource (use ringSource(ring))');
    }
    this._source = options.source;
    this._clock = options.clock ?? Date;
    this.evaluationInterval = parseDuration(options.evaluationInterval ?? ALERT_DEFAULTS.evaluationInterval, 'evaluationInterval');
    if (this.evaluationInterval < 10) throw new DashboardConfigError('FM_DASHBOARD_OPTION', 'evaluationInterval must be at least 10ms');
    this.groupWait = parseDuration(options.groupWait ?? ALERT_DEFAULTS.groupWait, 'groupWait');
    this.groupInterval = parseDuration(options.groupInterval ?? ALERT_DEFAULTS.groupInterval, 'groupInterval');
    this.repeatInterval = parseDuration(options.repeatInterval ?? options.cooldown ?? ALERT_DEFAULTS.repeatInterval, 'repeatInterval');
    for (const n of options.notifiers ?? []) this.addNotifier(n);
    for (const w of options.webhooks ?? []) this.addNotifier(webhookNotifier(w));
    for (const r of options.rules ?? []) this.addRule(r);
  }

  /** Adds (or replaces, by name) a rule. Throws DashboardConfigError for an invalid rule. */
  addRule(options: AlertRuleOptions): AlertRule {
    const rule = toRule(options);
    this._rules.set(rule.name, rule);
    return rule;
  }

  removeRule(name: string): boolean {
    this._active.delete(name);
    this._groups.delete(name);
    return this._rules.delete(name);
  }

  get rules(): AlertRule[] {
    return [...this._rules.values()];
  }

  addNotifier(notifier: Notifier): void {
    if (typeof notifier !== 'function') throw new DashboardConfigError('FM_DASHBOARD_OPTION', 'a notifier must be a function');
    this._notifiers.push(notifier);
  }

  /** Pending and firing alerts, firing first. */
  get alerts(): Alert[] {
    const out: Alert[] = [];
    for (const byLabels of this._active.values()) for (const a of byLabels.values()) out.push({ ...a });
    return out.sort((a, b) => (a.state === b.state ? a.activeAt - b.activeAt : a.state === 'firing' ? -1 : 1));
  }

  /** The last notifications sent (up to 50), newest last. */
  get notifications(): AlertNotification[] {
    return [...this._recent];
  }

  /** The last query error of each rule that failed at its latest evaluation. */
  get ruleErrors(): Record<string, string> {
    return Object.fromEntries(this._errors);
  }

  /** Called after every evaluation with the current alerts (the dashboard's banner). */
  onChange(listener: (alerts: Alert[]) => void): () => void {
    this._listeners.add(listener);
    return () => this._listeners.delete(listener);
  }

  /** Evaluates every rule once and sends the notifications that are due. Never throws. */
  async evaluate(): Promise<void> {
    const now = this._clock.now();
    await Promise.all([...this._rules.values()].map(rule => this._evaluateRule(rule, now)));
    await this._dispatch(now);
    const alerts = this.alerts;
    for (const listener of this._listeners) {
      try {
        listener(alerts);
      } catch (err) {
        diag.warn(`fastmeter alerts: an onChange listener threw: ${(err as Error)?.message}`);
      }
    }
  }

  /** Evaluates every evaluationInterval until stop(). */
  start(): void {
    if (this._timer !== undefined) return;
    const tick = () => {
      if (this._running !== undefined) return; // the previous round is still running
      this._running = this.evaluate().finally(() => {
        this._running = undefined;
      });
    };
    this._timer = setInterval(tick, this.evaluationInterval);
    this._timer.unref();
    tick();
  }

  async stop(): Promise<void> {
    if (this._timer !== undefined) clearInterval(this._timer);
    this._timer = undefined;
    await this._running;
  }

  private async _evaluateRule(rule: AlertRule, now: number): Promise<void> {
    let samples: { labels: Labels; value: number }[];
    try {
      samples = await this._source.instant(rule.query, now);
      this._errors.delete(rule.name);
    } catch (err) {
      // Like Prometheus: a failing query leaves the rule's alerts as they were.
      const message = (err as Error)?.message ?? String(err);
      if (this._errors.get(rule.name) !== message) diag.warn(`fastmeter alerts: rule ${rule.name}: query failed: ${message}`);
      this._errors.set(rule.name, message);
      return;
    }
    let active = this._active.get(rule.name);
    if (active === undefined) this._active.set(rule.name, (active = new Map()));
    const matching = new Set<string>();
    for (const sample of samples) {
      if (!compare(sample.value, rule.op, rule.threshold)) continue;
      const labels: Labels = { ...sample.labels, ...rule.labels, alertname: rule.name };
      const key = labelsKey(labels);
      matching.add(key);
      let alert = active.get(key);
      if (alert === undefined) {
        alert = { rule: rule.name, labels, annotations: rule.annotations, state: 'pending', value: sample.value, activeAt: now };
        active.set(key, alert);
      }
      alert.value = sample.value;
      if (alert.state === 'pending' && now - alert.activeAt >= rule.forMs) {
        alert.state = 'firing';
        alert.firedAt = now;
        const group = this._group(rule.name);
        group.firstFiringAt ??= now;
        group.changed = true;
      }
    }
    for (const [key, alert] of active) {
      if (matching.has(key)) continue;
      active.delete(key);
      if (alert.state === 'firing') {
        alert.state = 'resolved';
        alert.resolvedAt = now;
        const group = this._group(rule.name);
        if (group.lastNotifiedAt !== undefined) {
          group.resolved.push(alert);
          group.changed = true;
        }
      }
    }
  }

  private _group(name: string): Group {
    let group = this._groups.get(name);
    if (group === undefined) this._groups.set(name, (group = { firstFiringAt: undefined, lastNotifiedAt: undefined, changed: false, resolved: [] }));
    return group;
  }

  private async _dispatch(now: number): Promise<void> {
    const sends: Promise<void>[] = [];
    for (const [name, group] of this._groups) {
      const firing = [...(this._active.get(name)?.values() ?? [])].filter(a => a.state === 'firing');
      if (firing.length === 0 && group.resolved.length === 0) {
        this._groups.delete(name); // nothing left to say (or resolved before the first notification)
        continue;
      }
      let due: number;
      if (group.lastNotifiedAt === undefined) due = (group.firstFiringAt ?? now) + this.groupWait;
      else if (group.changed) due = group.lastNotifiedAt + this.groupInterval;
      else due = group.lastNotifiedAt + this.repeatInterval;
      if (now < due) continue;
      const alerts = [...firing.map(a => ({ ...a })), ...group.resolved];
      const notification: AlertNotification = {
        status: firing.length > 0 ? 'firing' : 'resolved',
        groupKey: name,
        groupLabels: { alertname: name },
        commonLabels: commonLabels(alerts),
        alerts,
        time: now,
      };
      group.lastNotifiedAt = now;
      group.changed = false;
      group.resolved = [];
      if (firing.length === 0) this._groups.delete(name);
      this._recent.push(notification);
      if (this._recent.length > 50) this._recent.shift();
      for (const notifier of this._notifiers) sends.push(this._send(notifier, notification));
    }
    await Promise.all(sends);
  }

  private async _send(notifier: Notifier, notification: AlertNotification): Promise<void> {
    try {
      await notifier(notification);
    } catch (err) {
      diag.warn(`fastmeter alerts: a notifier failed for ${notification.groupKey}: ${(err as Error)?.message ?? String(err)}`);
    }
  }
}

function commonLabels(alerts: Alert[]): Labels {
  if (alerts.length === 0) return {};
  const out: Labels = { ...alerts[0].labels };
  for (const a of alerts) for (const k of Object.keys(out)) if (a.labels[k] !== out[k]) delete out[k];
  return out;
}
