// The shared table of bad inputs (STYLE.md practice 9): every instrument kind
// is fed from here. Each case says what fastmeter must do with it.
import type { Attributes } from '@opentelemetry/api';

export interface BadValue {
  readonly label: string;
  readonly value: unknown;
  /** Drop reason for monotonic instruments (Counter, Histogram) and for the others. */
  readonly monotonic: string;
  readonly other: string | null;
}

export const BAD_VALUES: BadValue[] = [
  { label: 'undefined', value: undefined, monotonic: 'not_a_number', other: 'not_a_number' },
  { label: 'null', value: null, monotonic: 'not_a_number', other: 'not_a_number' },
  { label: 'numeric string', value: '5', monotonic: 'not_a_number', other: 'not_a_number' },
  { label: 'object', value: {}, monotonic: 'not_a_number', other: 'not_a_number' },
  { label: 'Number object', value: Object(3), monotonic: 'not_a_number', other: 'not_a_number' },
  { label: 'bigint', value: 10n, monotonic: 'not_a_number', other: 'not_a_number' },
  { label: 'symbol', value: Symbol('v'), monotonic: 'not_a_number', other: 'not_a_number' },
  { label: 'boolean', value: true, monotonic: 'not_a_number', other: 'not_a_number' },
  { label: 'function', value: () => 1, monotonic: 'not_a_number', other: 'not_a_number' },
  { label: 'NaN', value: Number.NaN, monotonic: 'nan', other: 'nan' },
  { label: '+Infinity', value: Number.POSITIVE_INFINITY, monotonic: 'infinite', other: 'infinite' },
  { label: '-Infinity', value: Number.NEGATIVE_INFINITY, monotonic: 'infinite', other: 'infinite' },
  { label: 'negative', value: -3, monotonic: 'negative', other: null },
];

export interface BadAttributes {
  readonly label: string;
  readonly make: () => unknown;
  /** The measurement is dropped for this reason... */
  readonly drop?: string;
  /** ...or recorded under these attributes, after removing what is listed in `issues`. */
  readonly recordedAs?: Attributes;
  readonly issues?: string[];
}

const throwingGetter = () => {
  const o = { ok: 'x' };
  Object.defineProperty(o, 'bad', {
    enumerable: true,
    get() {
      throw new Error('getter throws');
    },
  });
  return o;
};

export const BAD_ATTRIBUTES: BadAttributes[] = [
  { label: 'null', make: () => null, drop: 'invalid_attributes' },
  { label: 'string', make: () => 'method=GET', drop: 'invalid_attributes' },
  { label: 'number', make: () => 42, drop: 'invalid_attributes' },
  { label: 'boolean', make: () => false, drop: 'invalid_attributes' },
  { label: 'array', make: () => ['a', 'b'], drop: 'invalid_attributes' },
  { label: 'function', make: () => () => 1, drop: 'invalid_attributes' },
  { label: 'symbol', make: () => Symbol('attrs'), drop: 'invalid_attributes' },
  { label: 'throwing getter', make: throwingGetter, drop: 'attributes_threw' },
  {
    label: 'throwing proxy',
    make: () =>
      new Proxy(
        {},
        {
          ownKeys() {
            throw new Error('trap');
          },
        },
      ),
    drop: 'attributes_threw',
  },
  { label: 'undefined value', make: () => ({ a: 'x', b: undefined }), recordedAs: { a: 'x' }, issues: ['undefined_value'] },
  { label: 'null value', make: () => ({ a: 'x', b: null }), recordedAs: { a: 'x' }, issues: ['undefined_value'] },
  { label: 'nested object', make: () => ({ a: 'x', b: { c: 1 } }), recordedAs: { a: 'x' }, issues: ['invalid_value'] },
  { label: 'symbol value', make: () => ({ a: 'x', b: Symbol('s') }), recordedAs: { a: 'x' }, issues: ['invalid_value'] },
  { label: 'bigint value', make: () => ({ a: 'x', b: 1n }), recordedAs: { a: 'x' }, issues: ['invalid_value'] },
  { label: 'function value', make: () => ({ a: 'x', b: () => 1 }), recordedAs: { a: 'x' }, issues: ['invalid_value'] },
  { label: 'Date value', make: () => ({ a: 'x', b: new Date(0) }), recordedAs: { a: 'x' }, issues: ['invalid_value'] },
  { label: 'mixed array', make: () => ({ a: 'x', b: [1, 'two'] }), recordedAs: { a: 'x' }, issues: ['invalid_value'] },
  { label: 'array of objects', make: () => ({ a: 'x', b: [{}] }), recordedAs: { a: 'x' }, issues: ['invalid_value'] },
  { label: 'symbol key', make: () => ({ a: 'x', [Symbol('k')]: 'v' }), recordedAs: { a: 'x' }, issues: [] },
  {
    label: '__proto__ key (JSON)',
    make: () => JSON.parse('{"a":"x","__proto__":{"polluted":"yes"}}'),
    recordedAs: { a: 'x' },
    issues: ['invalid_value'],
  },
  {
    label: '__proto__ key (primitive)',
    make: () => JSON.parse('{"a":"x","__proto__":"p"}'),
    recordedAs: { a: 'x' },
    issues: ['proto_key'],
  },
  { label: 'inherited keys', make: () => Object.assign(Object.create({ inherited: 'no' }), { a: 'x' }), recordedAs: { a: 'x' }, issues: [] },
  { label: 'null prototype', make: () => Object.assign(Object.create(null), { a: 'x' }), recordedAs: { a: 'x' }, issues: [] },
  { label: 'frozen', make: () => Object.freeze({ a: 'x' }), recordedAs: { a: 'x' }, issues: [] },
];

/** Instrument names and options that are invalid but must still yield working instruments. */
export const BAD_NAMES: unknown[] = ['', '1starts-with-digit', 'has space', 'ünïcode', 'a'.repeat(300), undefined, null, 42, '*', 'semi;colon'];
export const BAD_OPTIONS: unknown[] = [
  null,
  { unit: 'ü'.repeat(3) },
  { unit: 'x'.repeat(100) },
  { unit: 42 },
  { description: 'd'.repeat(2000) },
  { valueType: 7 },
  { advice: { explicitBucketBoundaries: 'no' } },
];
