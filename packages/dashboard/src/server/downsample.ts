// Server-side downsampling to the chart's pixel width: per pixel column, the
// first, minimum, maximum and last points (M4, Jugel et al., VLDB 2014), which
// draws the same line as the full series at that width. A chart never receives
// more than 4 points per pixel column, whatever the ring holds.

/** Downsamples ascending (t, v) to at most 4 × width points. NaN values (gaps) are kept. */
export function m4(timestamps: number[], values: number[], width: number, start: number, end: number): { t: number[]; v: number[] } {
  const n = timestamps.length;
  if (n <= 4 * width || width < 1 || !(end > start)) return { t: timestamps, v: values };
  const t: number[] = [];
  const v: number[] = [];
  const span = (end - start) / width;
  let i = 0;
  while (i < n) {
    const column = Math.min(width - 1, Math.max(0, Math.floor((timestamps[i] - start) / span)));
    const first = i;
    let last = i;
    let min = i;
    let max = i;
    for (i++; i < n && Math.min(width - 1, Math.max(0, Math.floor((timestamps[i] - start) / span))) === column; i++) {
      last = i;
      if (values[i] < values[min] || Number.isNaN(values[min])) min = i;
      if (values[i] > values[max] || Number.isNaN(values[max])) max = i;
    }
    // The four points in time order, without repeats.
    const picked = [first, min, max, last].sort((a, b) => a - b);
    for (let k = 0; k < 4; k++) {
      if (k > 0 && picked[k] === picked[k - 1]) continue;
      t.push(timestamps[picked[k]]);
      v.push(values[picked[k]]);
    }
  }
  return { t, v };
}
