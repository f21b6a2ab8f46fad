// Configuration errors: thrown at setup time (options, rules, config files),
// with a stable code and an actionable message. Never thrown from a running
// receiver, dashboard or alert evaluation.
export type DashboardErrorCode = 'FM_DASHBOARD_OPTION' | 'FM_DASHBOARD_TOKEN_REQUIRED' | 'FM_ALERT_RULE' | 'FM_DURATION' | 'FM_CONFIG_FILE';

export class DashboardConfigError extends Error {
  override readonly name = 'DashboardConfigError';
  constructor(
    readonly code: DashboardErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}
