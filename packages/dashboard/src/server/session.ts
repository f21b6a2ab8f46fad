// One page connected over WebSocket. The page subscribes to charts; the
// session pushes a frame whenever a chart's window has moved by one pixel
// column (its step), checked up to `fps` times a second (at most 60). Frames
// are skipped while the socket's send buffer is full (a slow page never makes
// the server buffer without bound).
//
// page → server   {type:'subscribe', fps, charts:[ChartSpec]}      replaces the set
// server → page   {type:'hello', ...}                                once
//                 {type:'metrics', metrics:[MetricInfo]}             when the list changes
//                 {type:'frame', time, charts:[ChartData]}           live data
//                 {type:'health', items:[...]}                       every second
//                 {type:'alerts', alerts, notifications, errors}     on change
//                 {type:'error', message}                            a message it could not use
import type { WebSocket } from 'ws';
import type { QuerySource } from '../query/source.js';
import { type ChartSpec, LIMITS, chartStep, computeChart, parseChartSpec } from './charts.js';

const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

interface Subscription {
  spec: ChartSpec;
  /** End of the window of the last frame sent for it. */
  lastEnd: number;
}

export class Session {
  private readonly _charts = new Map<string, Subscription>();
  private _fps = 10;
  private _timer: NodeJS.Timeout | undefined = undefined;
  private _busy = false;
  private _closed = false;
  framesSent = 0;

  constructor(
    private readonly _ws: WebSocket,
    private readonly _source: QuerySource,
    private readonly _maxFps: number,
    private readonly _resolutionMs: number,
    private readonly _clock: () => number,
  ) {
    _ws.on('message', (data, isBinary) => this._onMessage(isBinary ? '' : String(data)));
    _ws.on('close', () => this.close());
    _ws.on('error', () => this.close());
  }

  send(message: unknown): void {
    if (this._closed || this._ws.readyState !== this._ws.OPEN) return;
    this._ws.send(JSON.stringify(message));
  }

  get sendBufferFull(): boolean {
    return this._ws.bufferedAmount > MAX_BUFFERED_BYTES;
  }

  close(): void {
    if (this._closed) return;
    this._closed = true;
    if (this._timer !== undefined) clearInterval(this._timer);
    this._timer = undefined;
    this._ws.terminate();
  }

  private _onMessage(text: string): void {
    let message: any;
    try {
      message = JSON.parse(text);
    } catch {
      this.send({ type: 'error', message: 'messages must be JSON' });
      return;
    }
    if (message?.type !== 'subscribe' || !Array.isArray(message.charts)) {
      this.send({ type: 'error', message: 'unknown message: send {type:"subscribe", fps, charts:[...]}' });
      return;
    }
    this._charts.clear();
    for (const raw of message.charts.slice(0, LIMITS.maxCharts)) {
      const spec = parseChartSpec(raw);
      if (spec === undefined) {
        this.send({ type: 'error', message: `chart ${JSON.stringify(String((raw as { id?: unknown })?.id ?? '?').slice(0, 50))} is not valid` });
        continue;
      }
      this._charts.set(spec.id, { spec, lastEnd: Number.NEGATIVE_INFINITY });
    }
    const fps = Math.min(this._maxFps, Math.max(1, Math.round(Number(message.fps) || 10)));
    if (fps !== this._fps || this._timer === undefined) {
      this._fps = fps;
      if (this._timer !== undefined) clearInterval(this._timer);
      this._timer = setInterval(() => void this.tick(), Math.round(1000 / fps));
      this._timer.unref();
    }
    void this.tick();
  }

  /** Sends a frame with every chart whose window moved since its last frame. */
  async tick(): Promise<void> {
    if (this._busy || this._closed || this.sendBufferFull) return;
    this._busy = true;
    try {
      const now = this._clock();
      const due: Subscription[] = [];
      for (const sub of this._charts.values()) {
        const step = chartStep(sub.spec, this._resolutionMs);
        const end = Math.floor(now / step) * step;
        if (end !== sub.lastEnd) {
          sub.lastEnd = end;
          due.push(sub);
        }
      }
      if (due.length === 0) return;
      const charts = await Promise.all(due.map(sub => computeChart(this._source, sub.spec, now, this._resolutionMs)));
      this.framesSent++;
      this.send({ type: 'frame', time: now, charts });
    } finally {
      this._busy = false;
    }
  }
}
