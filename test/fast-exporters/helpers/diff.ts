/** Where two texts first differ, with a little context, for failure messages. */
export function firstDifference(expected: string, actual: string): string {
  let i = 0;
  while (i < expected.length && i < actual.length && expected[i] === actual[i]) i++;
  const line = expected.slice(0, i).split('\n').length;
  const from = Math.max(0, expected.lastIndexOf('\n', i - 1) + 1);
  const show = (s: string) => JSON.stringify(s.slice(from, Math.min(s.length, i + 80)));
  return `line ${line} (byte ${i}; lengths ${expected.length} / ${actual.length}):\n  expected ${show(expected)}\n  actual   ${show(actual)}`;
}
