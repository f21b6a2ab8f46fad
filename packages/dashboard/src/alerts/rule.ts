// Alert rules: a query, a comparison, a `for` duration and labels, as in
// Prometheus alerting rules (https://prometheus.io/docs/prometheus/latest/configuration/alerting_rules/).
// Validated once, when the rule is added: a bad rule is a configuration error.
import { parseDuration } from '../common/duration.js';
import { DashboardConfigError } from '../common/errors.js';

export type Comparison = '>' | '>=' | '<' | '<=' | '==' | '!=';
const COMPARISONS: readonly Comparison[] = ['>=', '<=', '==', '!=', '>', '<'];

export interface AlertRuleOptions {
  /** Alert name (the `alertname` label). */
  name: string;
  /** A query whose instant answer is compared, e.g. `sum(rate(http_server_requests[1m]))`, or a whole condition `... > 5`. */
  expr: string;
  /** Comparison against `threshold` (omit both when `expr` ends with one). */
  op?: Comparison;
  threshold?: number;
  /** How long the condition must hold before the alert fires (default 0: at once). */
  for?: string | number;
  /** Added to every alert of the rule (e.g. severity). */
  labels?: Record<string, string>;
  /** Free text shown with the alert (summary, description, runbook...). */
  annotations?: Record<string, string>;
}

export interface AlertRule {
  readonly name: string;
  readonly query: string;
  readonly op: Comparison;
  readonly threshold: number;
  readonly forMs: number;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
}

export function compare(value: number, op: Comparison, threshold: number): boolean {
  switch (op) {
    case '>':
      return value > threshold;
    case '>=':
      return value >= threshold;
    case '<':
      return value < threshold;
    case '<=':
      return value <= threshold;
    case '==':
      return value === threshold;
    case '!=':
      return value !== threshold;
  }
}

function stringRecord(value: unknown, what: string): Record<string, string> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new DashboardConfigError('FM_ALERT_RULE', `${what} must be an object of strings`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean')
      throw new DashboardConfigError('FM_ALERT_RULE', `${what}.${k} must be a string`);
    out[k] = String(v);
  }
  return out;
}

/** Validates rule options into a rule. Throws DashboardConfigError (FM_ALERT_RULE) with the reason. */
export function toRule(options: AlertRuleOptions): AlertRule {
  if (options === null || typeof options !== 'object') throw new DashboardConfigError('FM_ALERT_RULE', 'a rule must be an object');
  const { name, expr } = options;
  if (typeof name !== 'string' || !/^[A-Za-z_][\w.:-]*$/.test(name)) {
    throw new DashboardConfigError('FM_ALERT_RULE', `rule name ${JSON.stringify(name)} must start with a letter or _ and hold only letters, digits, _ . : -`);
  }
  if (typeof expr !== 'string' || expr.trim() === '') throw new DashboardConfigError('FM_ALERT_RULE', `rule ${name}: expr must be a query string`);
  let query = expr.trim();
  let op = options.op;
  let threshold = options.threshold;
  if (op === undefined && threshold === undefined) {
    // `<query> <op> <number>` at the end of expr
    const m = /^(.*\S)\s*(>=|<=|==|!=|>|<)\s*(-?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?)$/i.exec(query);
    if (m === null) throw new DashboardConfigError('FM_ALERT_RULE', `rule ${name}: give op and threshold, or end expr with a comparison such as "> 5"`);
    query = m[1];
    op = m[2] as Comparison;
    threshold = Number(m[3]);
  }
  if (!COMPARISONS.includes(op as Comparison))
    throw new DashboardConfigError('FM_ALERT_RULE', `rule ${name}: op must be one of ${COMPARISONS.join(' ')}, got ${JSON.stringify(op)}`);
  if (typeof threshold !== 'number' || !Number.isFinite(threshold))
    throw new DashboardConfigError('FM_ALERT_RULE', `rule ${name}: threshold must be a finite number`);
  let forMs: number;
  try {
    forMs = parseDuration(options.for ?? 0, `rule ${name}: for`);
  } catch (err) {
    throw new DashboardConfigError('FM_ALERT_RULE', (err as Error).message);
  }
  return Object.freeze({
    name,
    query,
    op: op as Comparison,
    threshold,
    forMs,
    labels: Object.freeze(stringRecord(options.labels, `rule ${name}: labels`)),
    annotations: Object.freeze(stringRecord(options.annotations, `rule ${name}: annotations`)),
  });
}
