// View attribute processors. sdk-metrics' allow-list and deny-list processors
// (and fastmeter's own) depend only on attribute keys, so fastmeter turns them
// into a key filter applied while interning: no filtered copy per measurement.
// Any other IAttributesProcessor may depend on the context (baggage, ...) and is
// called per measurement exactly as sdk-metrics calls it.
import type { Attributes, Context } from '@opentelemetry/api';
import type { IAttributesProcessor } from '../common/types.js';

export type KeyFilter = (key: string) => boolean;

export type AttributeMapping =
  | { readonly kind: 'none' }
  | { readonly kind: 'filter'; readonly keep: KeyFilter }
  | { readonly kind: 'dynamic'; readonly processors: readonly IAttributesProcessor[] };

const NONE: AttributeMapping = { kind: 'none' };
const kKeys = Symbol.for('fastmeter.attributesProcessor.keys');

interface KeyListProcessor extends IAttributesProcessor {
  [kKeys]: { allow: boolean; keys: ReadonlySet<string> };
}

/** Keeps only the listed attribute keys. Same behaviour as sdk-metrics' createAllowListAttributesProcessor. */
export function createAllowListAttributesProcessor(attributeAllowList: string[]): IAttributesProcessor {
  return keyListProcessor(true, new Set(attributeAllowList));
}

/** Removes the listed attribute keys. Same behaviour as sdk-metrics' createDenyListAttributesProcessor. */
export function createDenyListAttributesProcessor(attributeDenyList: string[]): IAttributesProcessor {
  return keyListProcessor(false, new Set(attributeDenyList));
}

function keyListProcessor(allow: boolean, keys: ReadonlySet<string>): KeyListProcessor {
  return {
    [kKeys]: { allow, keys },
    process(incoming: Attributes): Attributes {
      const out: Attributes = {};
      for (const key in incoming) {
        if (Object.hasOwn(incoming, key) && keys.has(key) === allow) out[key] = incoming[key];
      }
      return out;
    },
  };
}

/** A key rule recognised on a processor: ours, or sdk-metrics' AllowList/DenyList/Noop/Multi by shape. */
function keyRule(p: unknown): KeyFilter | null | 'noop' {
  if (p === null || typeof p !== 'object') return null;
  const ours = (p as Partial<KeyListProcessor>)[kKeys];
  if (ours !== undefined) return ours.allow ? k => ours.keys.has(k) : k => !ours.keys.has(k);
  const allowed = (p as { _allowedAttributeNames?: unknown })._allowedAttributeNames;
  if (allowed instanceof Set) return k => allowed.has(k);
  const denied = (p as { _deniedAttributeNames?: unknown })._deniedAttributeNames;
  if (denied instanceof Set) return k => !denied.has(k);
  const nested = (p as { _processors?: unknown })._processors;
  if (Array.isArray(nested)) {
    const mapping = compileAttributesProcessors(nested as IAttributesProcessor[]);
    if (mapping.kind === 'none') return 'noop';
    return mapping.kind === 'filter' ? mapping.keep : null;
  }
  if ((p as object).constructor?.name === 'NoopAttributesProcessor') return 'noop';
  return null;
}

/** Compiles a view's `attributesProcessors` into the cheapest equivalent mapping. */
export function compileAttributesProcessors(processors: readonly IAttributesProcessor[] | undefined): AttributeMapping {
  if (processors == null || processors.length === 0) return NONE;
  const filters: KeyFilter[] = [];
  for (const p of processors) {
    const rule = keyRule(p);
    if (rule === null) return { kind: 'dynamic', processors: Array.from(processors) };
    if (rule !== 'noop') filters.push(rule);
  }
  if (filters.length === 0) return NONE;
  if (filters.length === 1) return { kind: 'filter', keep: filters[0] };
  return { kind: 'filter', keep: k => filters.every(f => f(k)) };
}

/** Applies dynamic processors in order, as sdk-metrics' MultiAttributesProcessor does. */
export function applyProcessors(processors: readonly IAttributesProcessor[], attributes: Attributes, context: Context): Attributes {
  let out = attributes;
  for (const p of processors) out = p.process(out, context);
  return out;
}
