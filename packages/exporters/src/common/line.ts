// Which OpenTelemetry JS line the application runs, for the outputs that differ
// between them (exporter-prometheus 0.22x and 0.30x: families, host default).
// @opentelemetry/api pins it: sdk-metrics 2.x (exporters 0.2xx) accepts api
// 1.9 only, 3.x (0.30x) api 1.10 only, and api 1.10 is the first with `logs`.
import * as api from '@opentelemetry/api';
import { ErrorCode, FastMeterConfigError } from '@fastmeter/sdk';

export type Line = 2 | 3;

/** The line of the installed @opentelemetry/api. */
export function detectLine(): Line {
  return 'logs' in api ? 3 : 2;
}

/** The `line` option: 2, 3, or 'auto' / undefined (detected). */
export function lineOption(value: unknown): Line {
  if (value === undefined || value === 'auto') return detectLine();
  if (value === 2 || value === 3) return value;
  throw new FastMeterConfigError(ErrorCode.INVALID_OPTION, `line must be 2, 3 or 'auto', got ${String(value)}`);
}
