import type { HrTime } from '@opentelemetry/api';

/** Same conversion as @opentelemetry/core's millisToHrTime, so timestamps match sdk-metrics exactly. */
export function millisToHrTime(epochMillis: number): HrTime {
  const seconds = Math.trunc(epochMillis / 1000);
  const nanos = Math.round((epochMillis % 1000) * 1e6);
  return [seconds, nanos];
}
