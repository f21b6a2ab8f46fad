// Base-2 exponential bucket index mapping, per the OpenTelemetry data model
// ("Exponential Buckets"): bucket `index` at `scale` covers
// (2^(index/2^scale), 2^((index+1)/2^scale)] -- lower-exclusive, upper-inclusive,
// so an exact power of two falls in the bucket below its boundary.
// https://opentelemetry.io/docs/specs/otel/metrics/data-model/#exponentialhistogram

export const MAX_SCALE = 20;
export const MIN_SCALE = -10;
const EXPONENT_BIAS = 1023;
const MIN_NORMAL_EXPONENT = -EXPONENT_BIAS + 1; // -1022
const MAX_NORMAL_EXPONENT = EXPONENT_BIAS; // 1023
const MIN_NORMAL_VALUE = 2 ** MIN_NORMAL_EXPONENT;

// Little- or big-endian: find which 32-bit word of a float64 holds the exponent.
const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
f64[0] = 1;
const HI = u32[1] === 0x3ff00000 ? 1 : 0;
const LO = 1 - HI;

/** Unbiased base-2 exponent of a positive normal double. */
function exponentOf(value: number): number {
  f64[0] = value;
  return ((u32[HI] & 0x7ff00000) >>> 20) - EXPONENT_BIAS;
}

function isPowerOfTwo(value: number): boolean {
  f64[0] = value;
  return (u32[HI] & 0xfffff) === 0 && u32[LO] === 0;
}

const SCALE_FACTORS: number[] = [];
for (let scale = 0; scale <= MAX_SCALE; scale++) SCALE_FACTORS.push(Math.LOG2E * 2 ** scale);

/** The bucket index of a positive, finite `value` at `scale`. */
export function mapToIndex(value: number, scale: number): number {
  if (scale <= 0) {
    const shift = -scale;
    if (value < MIN_NORMAL_VALUE) return (MIN_NORMAL_EXPONENT >> shift) - (shift < 2 ? 1 : 0);
    const correction = isPowerOfTwo(value) ? -1 : 0;
    return (exponentOf(value) + correction) >> shift;
  }
  if (value <= MIN_NORMAL_VALUE) return (MIN_NORMAL_EXPONENT << scale) - 1;
  if (isPowerOfTwo(value)) return (exponentOf(value) << scale) - 1;
  const index = Math.floor(Math.log(value) * SCALE_FACTORS[scale]);
  const maxIndex = ((MAX_NORMAL_EXPONENT + 1) << scale) - 1;
  return Math.min(index, maxIndex);
}
