// The repository README quotes the benchmark results instead of restating them: the block
// between the two markers below is generated from RESULTS.md (every target row, met or missed,
// of the core suites and of every area, with the run's environment). A full run rewrites it;
// bench/test/quote.test.ts fails when README.md and RESULTS.md disagree.
export const BEGIN = '<!-- bench:targets (generated from bench/RESULTS.md by bench/run.mjs; do not edit) -->';
export const END = '<!-- /bench:targets -->';

const cells = line =>
  line
    .split('|')
    .slice(1, -1)
    .map(c => c.trim());

/** The README block for a RESULTS.md text (a list: a Markdown table would be re-aligned by the formatter). */
export function quoteResults(results) {
  const env = new Map();
  const rows = [];
  let section = '';
  let subject = '';
  for (const line of results.split('\n')) {
    if (line.startsWith('## ')) section = line.slice(3).trim();
    if (!line.startsWith('|')) continue;
    const c = cells(line);
    if (section === 'Environment' && c.length === 2) env.set(c[0], c[1]);
    if (!/[✅❌]/.test(line)) continue;
    const result = c.find(x => /[✅❌]/.test(x));
    const measured = c.slice(1).find(x => x !== result) ?? '';
    // "… ≥ 5× faster than prom-client" continues the row above it.
    let target = c[0];
    if (target.startsWith('…')) target = `${subject}${target.slice(1)}`;
    else subject = target.split(' ≥ ')[0];
    const met = result.startsWith('✅');
    const note = result.slice(1).trim();
    rows.push({ met, text: `${met ? '✅' : '❌'} ${section === 'Targets' ? '' : `[${section}] `}${target}: ${measured}${note ? ` (${note})` : ''}` });
  }
  const missed = rows.filter(r => !r.met).length;
  const machine = `${env.get('CPU') ?? '?'}; Node ${env.get('Node / V8')?.split(' / ')[0] ?? '?'}; load average ${env.get('load average (1/5/15 min) at start → end') ?? '?'}`;
  return [
    BEGIN,
    '',
    `Run of ${env.get('date')?.slice(0, 10) ?? '?'}, commit ${env.get('commit') ?? '?'}, ${machine}: ${rows.length - missed} of ${rows.length} targets met${missed ? `, ${missed} missed` : ''}.`,
    '',
    ...rows.map(r => `- ${r.text}`),
    '',
    END,
  ].join('\n');
}

/** `readme` with its block replaced by `block`; throws when the markers are missing. */
export function replaceQuote(readme, block) {
  const start = readme.indexOf(BEGIN);
  const end = readme.indexOf(END);
  if (start === -1 || end < start) throw new Error(`README.md has no ${BEGIN} … ${END} block`);
  return readme.slice(0, start) + block + readme.slice(end + END.length);
}
