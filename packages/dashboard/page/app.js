// The fastmeter dashboard page. Plain browser JavaScript, no build step: it
// talks to the server over one WebSocket (protocol in src/server/session.ts)
// and draws with uPlot. Every text that comes from data (metric names,
// attribute values, descriptions, alert labels) is set with textContent and
// never parsed as HTML.
(() => {
  const SELF_METER = 'fastmeter';
  /** Self-metrics that get a highlighted row (COMMON contract names). */
  const KEY_HEALTH = new Set([
    'fastmeter.sampler.probability',
    'fastmeter.sampler.offered',
    'fastmeter.sampler.kept',
    'fastmeter.breaker.state',
    'fastmeter.breaker.dropped_points',
    'fastmeter.breaker.pending_bytes',
    'fastmeter.measurements.dropped',
    'fastmeter.measurements.overflowed',
    'fastmeter.ring.series',
    'fastmeter.ring.bytes',
  ]);
  const BREAKER_STATES = ['closed', 'half-open', 'open'];
  const COLORS = ['#34d399', '#60a5fa', '#f472b6', '#fbbf24', '#a78bfa', '#f87171', '#22d3ee', '#a3e635', '#fb923c', '#e879f9', '#94a3b8', '#2dd4bf'];
  const VIEWS = { counter: ['rate', 'value'], histogram: ['quantiles', 'heatmap'], exponential_histogram: ['quantiles', 'heatmap'] };
  const VIEW_LABELS = { rate: 'rate /s', value: 'value', quantiles: 'p50 · p90 · p99', heatmap: 'heatmap' };

  const token = new URLSearchParams(location.search).get('token');
  const $ = id => document.getElementById(id);
  const el = (tag, className, text) => {
    const e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined) e.textContent = text;
    return e;
  };

  /** State the tests read (window.__fastmeter). */
  const stats = { frames: 0, messages: 0, renders: 0, renderMs: [], firstFrameAt: 0, lastFrame: null, plots: {}, charts: {} };
  window.__fastmeter = stats;

  let metrics = [];
  /** Selected charts: id → { id, metric, kind, view, ... }. Kept in localStorage. */
  let selected = new Map();
  let userChose = false;
  let windowMs = Number($('window').value);
  let ws = null;
  let retry = 0;

  try {
    const saved = JSON.parse(localStorage.getItem('fastmeter.charts') || 'null');
    if (Array.isArray(saved)) {
      for (const c of saved)
        if (c && typeof c.metric === 'string' && typeof c.view === 'string')
          selected.set(chartId(c.metric, c.view), { metric: c.metric, view: c.view, kind: c.kind });
      userChose = saved.length > 0;
    }
  } catch {}

  function chartId(metric, view) {
    return `${view}:${metric}`;
  }

  function save() {
    try {
      localStorage.setItem('fastmeter.charts', JSON.stringify([...selected.values()].map(c => ({ metric: c.metric, view: c.view, kind: c.kind }))));
    } catch {}
  }

  function formatLabels(labels) {
    const keys = Object.keys(labels || {}).filter(k => k !== '__name__');
    if (keys.length === 0) return '';
    return `{${keys.map(k => `${k}="${labels[k]}"`).join(', ')}}`;
  }

  const SI = [
    ['T', 1e12],
    ['G', 1e9],
    ['M', 1e6],
    ['k', 1e3],
  ];

  function formatNumber(v) {
    if (v === null || v === undefined || Number.isNaN(v)) return '–';
    const a = Math.abs(v);
    if (a >= 1e4 && a < 1e15) {
      for (const [suffix, size] of SI) if (a >= size) return `${Number((v / size).toPrecision(4))}${suffix}`;
    }
    if (a !== 0 && (a >= 1e15 || a < 1e-3)) return v.toExponential(2);
    return Number(v.toPrecision(6)).toString();
  }

  // ---- connection -------------------------------------------------------------

  function connect() {
    const status = $('status');
    status.className = 'status connecting';
    status.textContent = 'connecting';
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws${token ? `?token=${encodeURIComponent(token)}` : ''}`;
    ws = new WebSocket(url);
    ws.onopen = () => {
      retry = 0;
      status.className = 'status live';
      status.textContent = 'live';
      subscribe();
    };
    ws.onclose = () => {
      status.className = 'status closed';
      status.textContent = 'disconnected';
      setTimeout(connect, Math.min(10_000, 500 * 2 ** retry++));
    };
    ws.onmessage = event => {
      stats.messages++;
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      const handler = handlers[message.type];
      if (handler) handler(message);
    };
  }

  function subscribe() {
    if (!ws || ws.readyState !== WebSocket.OPEN) return;
    const charts = [];
    for (const p of pinned) {
      const card = cards.get(p.id);
      charts.push({ id: p.id, view: 'expr', expr: p.expr, windowMs, width: card ? Math.max(100, Math.floor(card.plotBox.clientWidth)) : 600 });
    }
    for (const [id, c] of selected) {
      const card = cards.get(id);
      const width = card ? Math.max(100, Math.floor(card.plotBox.clientWidth)) : 600;
      charts.push({ id, metric: c.metric, view: c.view, windowMs, width });
    }
    ws.send(JSON.stringify({ type: 'subscribe', fps: 60, charts }));
  }

  /** Charts the server pins above the picked ones: { id, title, expr, unit }. */
  let pinned = [];

  const handlers = {
    hello(message) {
      pinned = (Array.isArray(message.charts) ? message.charts : []).map((c, i) => ({ id: `pinned:${i}`, title: c.title, expr: c.expr, unit: c.unit }));
      syncCards();
      subscribe();
    },
    metrics(message) {
      metrics = Array.isArray(message.metrics) ? message.metrics : [];
      if (!userChose) chooseDefaults();
      renderPicker();
      syncCards();
      subscribe();
    },
    frame(message) {
      const t0 = performance.now();
      stats.frames++;
      stats.lastFrame = message.time;
      for (const chart of message.charts || []) drawChart(chart);
      const ms = performance.now() - t0;
      stats.renders++;
      stats.renderMs.push(ms);
      if (stats.renderMs.length > 600) stats.renderMs.shift();
      if (stats.firstFrameAt === 0 && (message.charts || []).some(c => c.series && c.series.length > 0)) stats.firstFrameAt = performance.now();
      $('rate').textContent = `${stats.frames} frames`;
    },
    health(message) {
      renderHealth(message.items || []);
    },
    alerts(message) {
      renderAlerts(message.alerts || [], message.notifications || []);
    },
    error(message) {
      console.warn('fastmeter dashboard:', message.message);
    },
  };

  // ---- picker -------------------------------------------------------------------

  function defaultViewOf(kind) {
    return (VIEWS[kind] || ['value'])[0];
  }

  /** With nothing chosen yet: the application's counters and histograms first, requests and durations before others. */
  function chooseDefaults() {
    const candidates = metrics.filter(m => m.meter !== SELF_METER);
    const score = m => (/request|duration|latency/.test(m.name) ? 0 : 1) + (m.kind === 'counter' || m.kind.includes('histogram') ? 0 : 2);
    candidates.sort((a, b) => score(a) - score(b) || a.name.localeCompare(b.name));
    selected = new Map();
    for (const m of candidates.slice(0, 6)) selected.set(chartId(m.name, defaultViewOf(m.kind)), { metric: m.name, view: defaultViewOf(m.kind), kind: m.kind });
  }

  function matches(m, query) {
    if (!query) return true;
    const q = query.toLowerCase();
    if (m.name.toLowerCase().includes(q) || (m.description || '').toLowerCase().includes(q) || (m.meter || '').toLowerCase().includes(q)) return true;
    return (m.series || []).some(s => Object.entries(s).some(([k, v]) => k.toLowerCase().includes(q) || String(v).toLowerCase().includes(q)));
  }

  function renderPicker() {
    const list = $('metric-list');
    const query = $('search').value.trim();
    list.replaceChildren();
    const byMeter = new Map();
    for (const m of metrics) {
      if (!matches(m, query)) continue;
      if (!byMeter.has(m.meter)) byMeter.set(m.meter, []);
      byMeter.get(m.meter).push(m);
    }
    for (const [meter, ms] of [...byMeter].sort((a, b) => (a[0] === SELF_METER) - (b[0] === SELF_METER) || a[0].localeCompare(b[0]))) {
      list.append(el('li', 'meter', meter || '(no meter)'));
      for (const m of ms.sort((a, b) => a.name.localeCompare(b.name))) {
        const li = el('li', 'metric');
        const on = [...selected.values()].some(c => c.metric === m.name);
        if (on) li.classList.add('selected');
        li.dataset.metric = m.name;
        li.title = m.description || m.name;
        li.append(el('span', 'name', m.name), el('span', 'kind', m.kind), el('span', 'badge', String((m.series || []).length)));
        li.addEventListener('click', () => toggle(m));
        list.append(li);
      }
    }
    if (list.children.length === 0) list.append(el('li', 'empty', metrics.length === 0 ? 'no metrics yet' : 'no metric matches'));
  }

  function toggle(m) {
    userChose = true;
    const ids = [...selected.keys()].filter(id => selected.get(id).metric === m.name);
    if (ids.length > 0) for (const id of ids) selected.delete(id);
    else selected.set(chartId(m.name, defaultViewOf(m.kind)), { metric: m.name, view: defaultViewOf(m.kind), kind: m.kind });
    save();
    renderPicker();
    syncCards();
    subscribe();
  }

  // ---- charts -------------------------------------------------------------------

  /** id → { root, plotBox, plot, seriesKey, error } */
  const cards = new Map();

  function syncCards() {
    const box = $('charts');
    for (const [id, card] of cards) {
      if (selected.has(id) || pinned.some(p => p.id === id)) continue;
      if (card.plot) card.plot.destroy();
      card.root.remove();
      cards.delete(id);
      delete stats.plots[id];
      delete stats.charts[id];
    }
    const newPinned = [];
    for (const p of pinned) {
      if (cards.has(p.id)) continue;
      const root = el('div', 'card pinned');
      root.dataset.chart = p.id;
      const head = el('div', 'head');
      head.append(el('span', 'title', p.title));
      const sub = el('div', 'sub', [p.expr, p.unit ? `unit ${p.unit}` : ''].filter(Boolean).join(' · '));
      const common = el('div', 'common');
      const error = el('div', 'error');
      const plotBox = el('div', 'plot');
      root.append(head, sub, common, error, plotBox);
      newPinned.push(root);
      cards.set(p.id, { root, plotBox, plot: null, seriesKey: '', error, common, view: 'expr', unit: p.unit });
    }
    box.prepend(...newPinned);
    for (const [id, c] of selected) {
      if (cards.has(id)) continue;
      const info = metrics.find(m => m.name === c.metric);
      const kind = info ? info.kind : c.kind;
      const root = el('div', 'card');
      root.dataset.chart = id;
      const head = el('div', 'head');
      head.append(el('span', 'title', c.metric));
      const views = el('span', 'views');
      for (const view of VIEWS[kind] || ['value']) {
        const b = el('button', view === c.view ? 'on' : '', VIEW_LABELS[view]);
        b.addEventListener('click', () => {
          if (view === c.view) return;
          selected.delete(id);
          selected.set(chartId(c.metric, view), { metric: c.metric, view, kind });
          userChose = true;
          save();
          syncCards();
          subscribe();
        });
        views.append(b);
      }
      head.append(views);
      const sub = el('div', 'sub', [info?.description, info?.unit ? `unit ${info.unit}` : '', VIEW_LABELS[c.view]].filter(Boolean).join(' · '));
      const common = el('div', 'common');
      const error = el('div', 'error');
      const plotBox = el('div', 'plot');
      root.append(head, sub, common, error, plotBox);
      box.append(root);
      cards.set(id, { root, plotBox, plot: null, seriesKey: '', error, common, view: c.view, unit: info ? info.unit : '' });
    }
    if (selected.size === 0 && pinned.length === 0) {
      if (!box.querySelector('.empty')) box.append(el('div', 'empty', 'Pick metrics on the left to chart them.'));
    } else box.querySelector('.empty')?.remove();
  }

  /** Labels every series of a chart shares (shown once, above the plot, not in every legend entry). */
  function sharedLabels(series) {
    if (series.length < 2) return {};
    const out = { ...series[0].labels };
    for (const s of series) for (const k of Object.keys(out)) if (s.labels[k] !== out[k]) delete out[k];
    delete out.quantile;
    return out;
  }

  function seriesName(view, labels, shared) {
    const own = {};
    for (const k of Object.keys(labels)) if (!(k in shared) && k !== 'quantile') own[k] = labels[k];
    const text = formatLabels(own);
    if (view === 'quantiles') return `${labels.quantile} ${text}`.trim();
    return text || 'value';
  }

  /** uPlot's data: one x array (seconds) shared by all series, null where a series has no point. */
  function aligned(chart) {
    const series = chart.series;
    if (chart.grid) {
      const { start, step, n } = chart.grid;
      // Steps before the first point of any series are left out, so that a chart
      // whose data is younger than its window spans the width with what there is.
      let first = n - 1;
      for (const s of series) {
        const i = s.v.findIndex(v => v !== null);
        if (i >= 0 && i < first) first = i;
      }
      first = Math.max(0, Math.min(first, n - 2));
      const x = new Array(n - first);
      for (let i = first; i < n; i++) x[i - first] = (start + i * step) / 1000;
      return [x, ...series.map(s => s.v.slice(first))];
    }
    const xs = new Set();
    for (const s of series) for (const t of s.t) xs.add(t);
    const x = [...xs].sort((a, b) => a - b);
    const index = new Map(x.map((t, i) => [t, i]));
    const data = [x.map(t => t / 1000)];
    for (const s of series) {
      const ys = new Array(x.length).fill(null);
      for (let i = 0; i < s.t.length; i++) ys[index.get(s.t[i])] = s.v[i] === null || Number.isNaN(s.v[i]) ? null : s.v[i];
      data.push(ys);
    }
    return data;
  }

  function drawChart(chart) {
    const card = cards.get(chart.id);
    if (!card) return;
    card.error.textContent = chart.error ? `query failed: ${chart.error}` : chart.omitted ? `${chart.omitted} more series not shown` : '';
    stats.charts[chart.id] = chart;
    if (card.view === 'heatmap') return drawHeatmap(card, chart);
    const series = chart.series;
    const key = series.map(s => JSON.stringify(s.labels)).join('|');
    const data = aligned(chart);
    const width = Math.max(100, Math.floor(card.plotBox.clientWidth));
    if (!card.plot || key !== card.seriesKey) {
      if (card.plot) card.plot.destroy();
      card.seriesKey = key;
      const shared = sharedLabels(series);
      card.common.textContent = formatLabels(shared);
      const opts = {
        width,
        height: 200,
        pxAlign: 0,
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: true } },
        axes: [
          { stroke: '#9ca3af', grid: { stroke: '#1f2937' }, ticks: { stroke: '#1f2937' } },
          { stroke: '#9ca3af', grid: { stroke: '#1f2937' }, ticks: { stroke: '#1f2937' }, size: 60, values: (_u, vals) => vals.map(formatNumber) },
        ],
        series: [
          {},
          ...series.map((s, i) => ({
            label: seriesName(card.view, s.labels, shared),
            stroke: COLORS[i % COLORS.length],
            width: 1.5,
            spanGaps: false,
            value: (_u, v) => formatNumber(v),
          })),
        ],
      };
      card.plot = new uPlot(opts, data, card.plotBox);
      stats.plots[chart.id] = card.plot;
    } else {
      if (Math.abs(card.plot.width - width) > 2) card.plot.setSize({ width, height: 200 });
      card.plot.setData(data);
    }
  }

  /** Bucket rates over time as colored cells: x = time, y = bucket (by upper bound), color = rate. */
  function drawHeatmap(card, chart) {
    let canvas = card.plotBox.querySelector('canvas');
    if (!canvas) {
      if (card.plot) {
        card.plot.destroy();
        card.plot = null;
      }
      card.plotBox.replaceChildren();
      canvas = el('canvas', 'heatmap');
      card.plotBox.append(canvas);
    }
    const width = Math.max(100, Math.floor(card.plotBox.clientWidth));
    const height = 200;
    const dpr = window.devicePixelRatio || 1;
    canvas.width = width * dpr;
    canvas.height = height * dpr;
    const g = canvas.getContext('2d');
    g.scale(dpr, dpr);
    g.fillStyle = '#0f172a';
    g.fillRect(0, 0, width, height);
    const times = s => (s.t ? s.t : chart.grid ? s.v.map((_, i) => chart.grid.start + i * chart.grid.step) : []);
    const rows = chart.series
      .map(s => ({ le: s.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(s.labels.le), s: { t: times(s), v: s.v } }))
      .filter(r => !Number.isNaN(r.le))
      .sort((a, b) => a.le - b.le);
    stats.plots[chart.id] = { heatmap: true, rows: rows.length };
    if (rows.length === 0) return;
    let t0 = Infinity;
    let t1 = -Infinity;
    let max = 0;
    for (const r of rows)
      for (let i = 0; i < r.s.t.length; i++) {
        t0 = Math.min(t0, r.s.t[i]);
        t1 = Math.max(t1, r.s.t[i]);
        if (r.s.v[i] > max) max = r.s.v[i];
      }
    const left = 60;
    const plotW = width - left;
    const rowH = height / rows.length;
    const span = Math.max(1, t1 - t0);
    rows.forEach((r, row) => {
      const y = height - (row + 1) * rowH;
      for (let i = 0; i < r.s.t.length; i++) {
        const v = r.s.v[i];
        if (!(v > 0)) continue;
        const x = left + ((r.s.t[i] - t0) / span) * (plotW - 4);
        const a = Math.sqrt(v / max);
        g.fillStyle = `rgba(52, 211, 153, ${a.toFixed(3)})`;
        g.fillRect(x, y, Math.max(2, plotW / Math.max(1, r.s.t.length)), Math.max(1, rowH - 1));
      }
    });
    g.fillStyle = '#9ca3af';
    g.font = '10px system-ui, sans-serif';
    const labelEvery = Math.ceil(rows.length / 8);
    rows.forEach((r, row) => {
      if (row % labelEvery === 0) g.fillText(`≤ ${formatNumber(r.le)}`, 2, height - row * rowH - 2);
    });
  }

  // ---- health and alerts ---------------------------------------------------------

  function healthValue(item) {
    if (item.name === 'fastmeter.breaker.state')
      return { text: BREAKER_STATES[item.value] ?? formatNumber(item.value), cls: item.value === 0 ? 'ok' : item.value === 1 ? 'warn' : 'bad' };
    if (item.name === 'fastmeter.sampler.probability') return { text: `p = ${formatNumber(item.value)}`, cls: item.value < 1 ? 'warn' : 'ok' };
    if (/dropped|overflow|refused|rejected/.test(item.name)) return { text: formatNumber(item.value), cls: item.value > 0 ? 'bad' : 'ok' };
    return { text: `${formatNumber(item.value)}${item.unit ? ` ${item.unit}` : ''}`, cls: '' };
  }

  function renderHealth(items) {
    const body = $('health-table').tBodies[0];
    body.replaceChildren();
    $('health-hint').hidden = items.length > 0;
    items.sort((a, b) => KEY_HEALTH.has(b.name) - KEY_HEALTH.has(a.name) || a.name.localeCompare(b.name));
    for (const item of items) {
      const tr = el('tr', KEY_HEALTH.has(item.name) ? 'key' : '');
      tr.dataset.metric = item.name;
      const name = el('td', '', item.name);
      name.title = item.description || '';
      const { text, cls } = healthValue(item);
      tr.append(name, el('td', '', formatLabels(item.labels)), el('td', `value ${cls}`, text));
      body.append(tr);
    }
  }

  function renderAlerts(alerts, notifications) {
    const box = $('alerts');
    box.replaceChildren();
    const shown = [...alerts];
    // Resolved alerts of the last notifications stay visible for a minute.
    const recent = Date.now() - 60_000;
    for (const n of notifications) if (n.status === 'resolved' && n.time > recent) for (const a of n.alerts) if (a.state === 'resolved') shown.push(a);
    for (const a of shown) {
      const div = el('div', `alert ${a.state}`);
      const { alertname, ...labels } = a.labels;
      div.append(
        el('span', 'state', a.state),
        el('strong', '', alertname || a.rule),
        el('span', '', formatLabels(labels)),
        el('span', '', `value ${formatNumber(a.value)}`),
      );
      if (a.annotations?.summary) div.append(el('span', '', a.annotations.summary));
      box.append(div);
    }
  }

  // ---- wiring --------------------------------------------------------------------

  $('search').addEventListener('input', renderPicker);
  $('window').addEventListener('change', () => {
    windowMs = Number($('window').value);
    subscribe();
  });
  let resizeTimer = 0;
  window.addEventListener('resize', () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(subscribe, 200);
  });
  syncCards();
  connect();
})();
