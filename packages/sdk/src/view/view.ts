// ViewOptions -> a compiled view. Validation and error messages follow
// sdk-metrics' View constructor; selection follows its ViewRegistry, except that
// instrument-name patterns implement the OpenTelemetry wildcard rules fully:
// every `*` matches any sequence and every `?` one character (sdk-metrics
// replaces only the first `*` and treats `?` literally).
// https://opentelemetry.io/docs/specs/otel/metrics/sdk/#instrument-selection-criteria
import { type AggregationChoice, parseAggregationOption } from '../aggregate/aggregation.js';
import type { InstrumentType } from '../common/enums.js';
import { ErrorCode, FastMeterConfigError } from '../common/errors.js';
import type { InstrumentDescriptor, InstrumentationScope, ViewOptions } from '../common/types.js';
import { describeValue } from '../common/warnings.js';
import { MAX_LEAF_ID } from '../intern/trie.js';
import { type AttributeMapping, compileAttributesProcessors } from './attributes-processor.js';

/** Series ids are trie leaves (below 2^29, see intern/trie.ts). */
export const MAX_CARDINALITY_LIMIT = MAX_LEAF_ID;

export interface CompiledView {
  readonly name: string | undefined;
  readonly description: string | undefined;
  readonly aggregation: AggregationChoice;
  readonly attributes: AttributeMapping;
  readonly cardinalityLimit: number | undefined;
  matches(instrument: InstrumentDescriptor, meter: InstrumentationScope): boolean;
}

const ESCAPE = /[\^$\\.+()[\]{}|]/g;

function hasWildcard(pattern: string): boolean {
  return pattern.includes('*') || pattern.includes('?');
}

function namePredicate(pattern: string | undefined): (name: string) => boolean {
  if (pattern === undefined || pattern === '*') return () => true;
  if (!hasWildcard(pattern)) return name => name === pattern;
  const source = pattern.replace(ESCAPE, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  const regexp = new RegExp(`^${source}$`);
  return name => regexp.test(name);
}

export function compileView(options: ViewOptions): CompiledView {
  if (options == null || typeof options !== 'object') {
    throw new FastMeterConfigError(ErrorCode.VIEW_NO_SELECTOR, 'Cannot create view with no selector arguments supplied');
  }
  if (
    options.instrumentName == null &&
    options.instrumentType == null &&
    options.instrumentUnit == null &&
    options.meterName == null &&
    options.meterVersion == null &&
    options.meterSchemaUrl == null
  ) {
    throw new FastMeterConfigError(ErrorCode.VIEW_NO_SELECTOR, 'Cannot create view with no selector arguments supplied');
  }
  if (options.name != null && (options.instrumentName == null || hasWildcard(options.instrumentName))) {
    throw new FastMeterConfigError(
      ErrorCode.VIEW_NAME_NEEDS_SINGLE_INSTRUMENT,
      'Views with a specified name must be declared with an instrument selector that selects at most one instrument per meter.',
    );
  }
  const limit = options.aggregationCardinalityLimit;
  if (limit !== undefined && (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > MAX_CARDINALITY_LIMIT)) {
    throw new FastMeterConfigError(
      ErrorCode.INVALID_OPTION,
      `a view's aggregationCardinalityLimit must be an integer from 1 to ${MAX_CARDINALITY_LIMIT}, got ${describeValue(limit)}`,
    );
  }
  const aggregation = parseAggregationOption(options.aggregation);
  const attributes = compileAttributesProcessors(options.attributesProcessors);
  const matchName = namePredicate(options.instrumentName);
  const type: InstrumentType | undefined = options.instrumentType;
  const { instrumentUnit: unit, meterName, meterVersion, meterSchemaUrl } = options;
  return {
    name: options.name,
    description: options.description,
    aggregation,
    attributes,
    cardinalityLimit: limit,
    matches(instrument, meter) {
      return (
        (type === undefined || instrument.type === type) &&
        matchName(instrument.name) &&
        (unit === undefined || instrument.unit === unit) &&
        (meterName === undefined || meter.name === meterName) &&
        (meter.version === undefined || meterVersion === undefined || meter.version === meterVersion) &&
        (meter.schemaUrl === undefined || meterSchemaUrl === undefined || meter.schemaUrl === meterSchemaUrl)
      );
    },
  };
}
