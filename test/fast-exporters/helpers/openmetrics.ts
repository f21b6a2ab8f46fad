// The strict OpenMetrics parser of Debian's python3-prometheus-client
// (prometheus_client.openmetrics.parser, real-peers.md §3), run once over many
// documents: each must parse completely (`# EOF`, families, histograms, names).
import { run } from '../../e2e/helpers/proc.js';

const SCRIPT = `
import json, sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse
out = []
for doc in json.load(sys.stdin):
    try:
        families = list(parse(doc))
        out.append({"ok": True, "families": [[f.name, f.type, f.unit, [[s.name, s.labels, s.value, None if s.timestamp is None else float(s.timestamp)] for s in f.samples]] for f in families]})
    except Exception as e:
        out.append({"ok": False, "error": repr(e)})
json.dump(out, sys.stdout)
`;

export interface ParsedSample {
  name: string;
  labels: Record<string, string>;
  value: number;
  timestamp: number | null;
}

export interface ParsedFamily {
  name: string;
  type: string;
  unit: string;
  samples: ParsedSample[];
}

export type ParseResult = { ok: true; families: ParsedFamily[] } | { ok: false; error: string };

/** Parses every document with the strict parser; one result per document. */
export async function parseOpenMetrics(python: string, documents: string[]): Promise<ParseResult[]> {
  const r = await run(python, ['-c', SCRIPT], { input: JSON.stringify(documents), timeoutMs: 120_000 });
  if (r.code !== 0) throw new Error(`OpenMetrics parser failed: ${r.stderr}`);
  const raw = JSON.parse(r.stdout) as (
    | { ok: true; families: [string, string, string, [string, Record<string, string>, number, number | null][]][] }
    | { ok: false; error: string }
  )[];
  return raw.map(d =>
    d.ok
      ? {
          ok: true,
          families: d.families.map(([name, type, unit, samples]) => ({
            name,
            type,
            unit,
            samples: samples.map(([n, labels, value, timestamp]) => ({ name: n, labels, value, timestamp })),
          })),
        }
      : d,
  );
}
