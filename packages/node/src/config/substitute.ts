// Environment variable substitution in a configuration file, as the
// configuration data model specifies it: `${VAR}`, `${env:VAR}` and
// `${VAR:-default}` in scalar values (never in keys), `$$` for a literal `$`.
// An unset variable without a default becomes empty. A plain (unquoted) scalar
// is typed again after substitution (`port: ${PORT}` is an integer), a quoted
// one stays a string. A malformed reference is an error naming the path.
import type * as YAML from 'yaml';
import type { Env } from './env.js';

const REFERENCE = /\$\$|\$\{(?:env:)?([A-Za-z_][A-Za-z0-9_]*)(?::-([^}\n]*))?\}|\$\{[^}\n]*\}?/g;

export class SubstitutionError extends Error {}

/** Substitutes one string; throws SubstitutionError on a malformed `${...}`. */
export function substitute(text: string, env: Env): { text: string; changed: boolean } {
  let changed = false;
  const out = text.replace(REFERENCE, (match, name: string | undefined, fallback: string | undefined) => {
    changed = true;
    if (match === '$$') return '$';
    if (name === undefined) throw new SubstitutionError(`malformed environment variable reference ${match}`);
    const value = env[name];
    return value !== undefined && value !== '' ? value : (fallback ?? '');
  });
  return { text: out, changed };
}

function pathOf(yaml: typeof YAML, path: readonly unknown[]): string {
  const { isPair, isScalar, isSeq } = yaml;
  let out = '';
  for (let i = 1; i < path.length; i++) {
    const node = path[i];
    const parent = path[i - 1];
    if (isPair(node) && isScalar(node.key)) out += out === '' ? String(node.key.value) : `.${String(node.key.value)}`;
    else if (isSeq(parent)) out += `[${parent.items.indexOf(node as never)}]`;
  }
  return out;
}

/** Applies substitution to every scalar value of `doc` in place. */
export function substituteDocument(yaml: typeof YAML, doc: YAML.Document, env: Env): void {
  yaml.visit(doc, {
    Scalar(key, node, path) {
      if (key === 'key' || typeof node.value !== 'string') return;
      let result: { text: string; changed: boolean };
      try {
        result = substitute(node.value, env);
      } catch (err) {
        throw new SubstitutionError(`${pathOf(yaml, [...path, node]) || '(document)'}: ${(err as Error).message}`);
      }
      if (!result.changed) return;
      if (node.type === 'PLAIN') {
        let typed: unknown = result.text;
        try {
          typed = yaml.parse(result.text);
        } catch {}
        node.value = typed === null || ['number', 'boolean'].includes(typeof typed) ? typed : result.text;
      } else node.value = result.text;
    },
  });
}
