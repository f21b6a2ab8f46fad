// Content negotiation for the scrape endpoint: OpenMetrics when the scraper
// prefers it (Prometheus sends `application/openmetrics-text;version=1.0.0,...,
// text/plain;version=0.0.4;q=0.5,*/*;q=0.1`), the classic text otherwise (a
// missing or `*/*` Accept header, curl, the standard exporter's clients).

interface MediaRange {
  type: string;
  q: number;
  version: string | undefined;
}

function parse(accept: string): MediaRange[] {
  const out: MediaRange[] = [];
  for (const part of accept.split(',')) {
    const [type, ...params] = part.split(';').map(s => s.trim());
    if (!type) continue;
    let q = 1;
    let version: string | undefined;
    for (const param of params) {
      const eq = param.indexOf('=');
      if (eq < 0) continue;
      const name = param.slice(0, eq).trim().toLowerCase();
      const value = param.slice(eq + 1).trim();
      if (name === 'q') q = Number(value);
      else if (name === 'version') version = value;
    }
    out.push({ type: type.toLowerCase(), q: Number.isFinite(q) ? q : 0, version });
  }
  return out;
}

/** True when `accept` asks for OpenMetrics 1.0 (or 0.0.1) at least as much as for the classic text. */
export function prefersOpenMetrics(accept: string | undefined): boolean {
  if (accept === undefined || accept === '') return false;
  let om = 0;
  let text = 0;
  for (const range of parse(accept)) {
    if (range.type === 'application/openmetrics-text') {
      if (range.version === undefined || range.version === '1.0.0' || range.version === '0.0.1') om = Math.max(om, range.q);
    } else if (range.type === 'text/plain' || range.type === 'text/*' || range.type === '*/*') {
      text = Math.max(text, range.q);
    }
  }
  return om > 0 && om >= text;
}
