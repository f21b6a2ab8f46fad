import { type MetricOptions, ValueType } from '@opentelemetry/api';
import type { InstrumentType } from '../common/enums.js';
import type { Health } from '../common/health.js';
import type { InstrumentDescriptor } from '../common/types.js';

// Instrument name syntax (OpenTelemetry API spec, "Instrument name syntax"): an
// ASCII letter, then up to 254 of letters, digits, '_', '.', '-', '/'.
// https://opentelemetry.io/docs/specs/otel/metrics/api/#instrument-name-syntax
const NAME = /^[a-z][a-z0-9_.\-/]{0,254}$/i;
// Unit: at most 63 ASCII characters (spec "Instrument unit").
const UNIT = /^[\x00-\x7F]{0,63}$/;
const MAX_DESCRIPTION = 1023;

export function isValidName(name: unknown): boolean {
  return typeof name === 'string' && NAME.test(name);
}

/**
 * The descriptor of a new instrument, with the same fields and defaults as
 * sdk-metrics. Invalid names, units and descriptions are reported (rate-limited)
 * and the instrument still works, as the specification asks.
 */
export function createDescriptor(rawName: string, type: InstrumentType, options: MetricOptions | undefined, health: Health): InstrumentDescriptor {
  const name = typeof rawName === 'string' ? rawName : String(rawName);
  if (!isValidName(name)) {
    health.warn(
      `name:${String(name)}`,
      `fastmeter: invalid instrument name ${JSON.stringify(String(name))}: it must start with an ASCII letter and contain at most 255 characters of [A-Za-z0-9_.-/]`,
    );
  }
  const rawUnit: unknown = options?.unit ?? '';
  const unit = typeof rawUnit === 'string' ? rawUnit : String(rawUnit);
  if (!UNIT.test(unit)) {
    health.warn(
      `unit:${String(name)}`,
      `fastmeter: instrument "${String(name)}" has an invalid unit ${JSON.stringify(String(unit))}: at most 63 ASCII characters`,
    );
  }
  const rawDescription: unknown = options?.description ?? '';
  const description = typeof rawDescription === 'string' ? rawDescription : String(rawDescription);
  if (description.length > MAX_DESCRIPTION) {
    health.warn(`description:${String(name)}`, `fastmeter: instrument "${String(name)}" has a description longer than ${MAX_DESCRIPTION} characters`);
  }
  let valueType = options?.valueType ?? ValueType.DOUBLE;
  if (valueType !== ValueType.INT && valueType !== ValueType.DOUBLE) {
    health.warn(`valueType:${String(name)}`, `fastmeter: instrument "${String(name)}" has an unknown valueType ${String(valueType)}; using DOUBLE`);
    valueType = ValueType.DOUBLE;
  }
  return { name, type, description, unit, valueType, advice: options?.advice ?? {} };
}

/** Same identity rule as sdk-metrics: name (case-insensitive), unit, kind and value type. */
export function isCompatible(a: InstrumentDescriptor, b: InstrumentDescriptor): boolean {
  return a.name.toLowerCase() === b.name.toLowerCase() && a.unit === b.unit && a.type === b.type && a.valueType === b.valueType;
}

export function describeConflict(existing: InstrumentDescriptor, other: InstrumentDescriptor): string {
  const parts: string[] = [];
  if (existing.unit !== other.unit) parts.push(`unit '${existing.unit}' vs '${other.unit}'`);
  if (existing.type !== other.type) parts.push(`type '${existing.type}' vs '${other.type}'`);
  if (existing.valueType !== other.valueType) parts.push(`value type '${existing.valueType}' vs '${other.valueType}'`);
  if (existing.description !== other.description) parts.push(`description '${existing.description}' vs '${other.description}'`);
  return parts.join(', ');
}
