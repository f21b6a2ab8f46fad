// Label matchers. Regular expressions are RE2 (as in Prometheus), run by re2js,
// a linear-time engine: no pattern and no label value can make a query hang
// (a backtracking engine takes exponential time on `(a+)+b` against "aaaa…c").
// They are anchored, as PromQL's are: `=~"GET|POST"` matches the whole value.
import { RE2JS } from 're2js';
import { QueryError, QueryErrorCode } from '../errors.js';
import { type Labels, sanitizeName } from '../store/model.js';
import type { Matcher } from './ast.js';

export type LabelTest = (value: string) => boolean;

export interface CompiledMatcher {
  readonly name: string;
  readonly test: LabelTest;
}

export function compileMatcher(m: Matcher, expression: string, pos: number): CompiledMatcher {
  switch (m.op) {
    case '=':
      return { name: m.name, test: v => v === m.value };
    case '!=':
      return { name: m.name, test: v => v !== m.value };
    default: {
      let re: RE2JS;
      try {
        re = RE2JS.compile(`^(?:${m.value})$`, RE2JS.DOTALL);
      } catch (err) {
        throw new QueryError(QueryErrorCode.INVALID, `invalid regular expression ${JSON.stringify(m.value)}: ${(err as Error).message}`, pos, expression);
      }
      // Label values repeat across series: remember answers (bounded).
      const cache = new Map<string, boolean>();
      const negate = m.op === '!~';
      return {
        name: m.name,
        test: v => {
          let r = cache.get(v);
          if (r === undefined) {
            r = re.matches(v);
            if (cache.size < 4096) cache.set(v, r);
          }
          return negate ? !r : r;
        },
      };
    }
  }
}

/**
 * The value of label `name` in `labels`, "" when absent (PromQL: an absent
 * label matches ""). A name written as Prometheus would (`http_route`) also
 * finds the OpenTelemetry attribute (`http.route`).
 */
export function labelOf(labels: Labels, name: string): string {
  const v = labels[name];
  if (v !== undefined) return v;
  for (const key in labels) if (sanitizeName(key) === name) return labels[key];
  return '';
}

export function matchesAll(labels: Labels, matchers: readonly CompiledMatcher[]): boolean {
  for (let i = 0; i < matchers.length; i++) {
    const m = matchers[i];
    if (!m.test(labelOf(labels, m.name))) return false;
  }
  return true;
}
