// Alert rules end to end with a fake clock: pending → firing after `for`,
// group wait, the cooldown (repeat interval), resolution, and the webhook
// received by a loopback HTTP server.
import { once } from 'node:events';
import { type Server, createServer } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type AlertNotification, AlertEngine, type QuerySource, type Sample } from '../../src/index.js';

/** A query source whose answers the test sets. */
class FakeSource implements QuerySource {
  answers = new Map<string, Sample[]>();
  queries: { expr: string; time: number }[] = [];
  async instant(expr: string, time: number): Promise<Sample[]> {
    this.queries.push({ expr, time });
    const a = this.answers.get(expr);
    if (a === undefined) throw new Error(`unknown query ${expr}`);
    return a;
  }
  async range(): Promise<never> {
    throw new Error('not used');
  }
  async metrics() {
    return [];
  }
}

const S = 1000;
const M = 60 * S;
const H = 60 * M;

describe('AlertEngine', () => {
  let clock: { t: number; now(): number };
  let source: FakeSource;
  let hooks: { body: any; headers: Record<string, unknown> }[];
  let server: Server;
  let hookUrl: string;

  beforeEach(async () => {
    clock = { t: 1_700_000_000_000, now: () => clock.t };
    source = new FakeSource();
    hooks = [];
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', c => chunks.push(c));
      req.on('end', () => {
        hooks.push({ body: JSON.parse(Buffer.concat(chunks).toString()), headers: req.headers });
        res.end('ok');
      });
    }).listen(0, '127.0.0.1');
    await once(server, 'listening');
    hookUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`;
  });
  afterEach(() => new Promise<void>(resolve => server.close(() => resolve())));

  const at = async (engine: AlertEngine, t: number) => {
    clock.t = t;
    await engine.evaluate();
  };

  it('goes pending → firing after `for`, waits groupWait, repeats after the cooldown, resolves', async () => {
    const T = clock.t;
    const calls: AlertNotification[] = [];
    const engine = new AlertEngine({
      source,
      clock,
      notifiers: [n => void calls.push(n)],
      webhooks: [{ url: hookUrl, headers: { authorization: 'Bearer s3cret' } }],
      rules: [{ name: 'HighErrorRate', expr: 'rate(errors[1m]) > 5', for: '1m', labels: { severity: 'page' }, annotations: { summary: 'errors <b>up</b>' } }],
    });
    const changes: string[][] = [];
    engine.onChange(alerts => changes.push(alerts.map(a => a.state)));
    source.answers.set('rate(errors[1m])', [{ labels: { route: '/a' }, value: 2 }]);

    await at(engine, T);
    expect(engine.alerts).toEqual([]);
    expect(source.queries.at(-1)).toEqual({ expr: 'rate(errors[1m])', time: T });

    source.answers.set('rate(errors[1m])', [{ labels: { route: '/a' }, value: 9 }]);
    await at(engine, T + 5 * S);
    expect(engine.alerts).toMatchObject([
      { state: 'pending', value: 9, activeAt: T + 5 * S, labels: { route: '/a', severity: 'page', alertname: 'HighErrorRate' } },
    ]);

    await at(engine, T + 5 * S + 59 * S); // 59 s of the 60 s `for`
    expect(engine.alerts[0].state).toBe('pending');
    await at(engine, T + 5 * S + 60 * S);
    expect(engine.alerts[0].state).toBe('firing');
    expect(calls).toHaveLength(0); // group wait: 30 s

    await at(engine, T + 65 * S + 29 * S);
    expect(calls).toHaveLength(0);
    await at(engine, T + 65 * S + 30 * S);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({
      status: 'firing',
      groupKey: 'HighErrorRate',
      commonLabels: { route: '/a', severity: 'page', alertname: 'HighErrorRate' },
    });
    expect(calls[0].alerts).toHaveLength(1);
    expect(hooks).toHaveLength(1);
    expect(hooks[0].headers.authorization).toBe('Bearer s3cret');
    expect(hooks[0].body).toMatchObject({
      version: '4',
      status: 'firing',
      groupLabels: { alertname: 'HighErrorRate' },
      alerts: [
        {
          status: 'firing',
          labels: { alertname: 'HighErrorRate', route: '/a' },
          annotations: { summary: 'errors <b>up</b>' },
          value: 9,
          endsAt: '0001-01-01T00:00:00Z',
        },
      ],
    });
    expect(hooks[0].body.alerts[0].startsAt).toBe(new Date(T + 65 * S).toISOString());

    // Still firing, nothing changed: silent until the cooldown (repeat interval, 4 h) is over.
    for (let t = T + 95 * S + 10 * M; t < T + 95 * S + 4 * H; t += 30 * M) await at(engine, t);
    expect(calls).toHaveLength(1);
    await at(engine, T + 95 * S + 4 * H);
    expect(calls).toHaveLength(2);
    expect(hooks).toHaveLength(2);

    // Resolves: the alert leaves at once; the resolved notification follows groupInterval (5 m) after the last.
    const last = T + 95 * S + 4 * H;
    source.answers.set('rate(errors[1m])', [{ labels: { route: '/a' }, value: 1 }]);
    await at(engine, last + 10 * S);
    expect(engine.alerts).toEqual([]);
    await at(engine, last + 4 * M);
    expect(calls).toHaveLength(2);
    await at(engine, last + 5 * M);
    expect(calls).toHaveLength(3);
    expect(calls[2]).toMatchObject({ status: 'resolved', alerts: [{ state: 'resolved', resolvedAt: last + 10 * S }] });
    expect(hooks[2].body).toMatchObject({ status: 'resolved', alerts: [{ status: 'resolved', endsAt: new Date(last + 10 * S).toISOString() }] });

    // Nothing more afterwards.
    await at(engine, last + 5 * H);
    expect(calls).toHaveLength(3);
    expect(changes.some(c => c.includes('pending'))).toBe(true);
    expect(changes.some(c => c.includes('firing'))).toBe(true);
  });

  it('drops a pending alert whose condition stops holding before `for`, and never notifies it', async () => {
    const calls: AlertNotification[] = [];
    const engine = new AlertEngine({
      source,
      clock,
      notifiers: [n => void calls.push(n)],
      rules: [{ name: 'Slow', expr: 'p99', op: '>', threshold: 0.5, for: '2m' }],
    });
    source.answers.set('p99', [{ labels: {}, value: 0.9 }]);
    await at(engine, clock.t);
    expect(engine.alerts[0].state).toBe('pending');
    source.answers.set('p99', [{ labels: {}, value: 0.1 }]);
    await at(engine, clock.t + 90 * S);
    expect(engine.alerts).toEqual([]);
    await at(engine, clock.t + 1 * H);
    expect(calls).toEqual([]);
  });

  it("groups a rule's alerts; a new series firing is notified groupInterval after the last notification", async () => {
    const calls: AlertNotification[] = [];
    const engine = new AlertEngine({ source, clock, groupWait: '10s', groupInterval: '1m', repeatInterval: '1h', notifiers: [n => void calls.push(n)] });
    engine.addRule({ name: 'Down', expr: 'up == 0' });
    const T = clock.t;
    source.answers.set('up', [
      { labels: { instance: 'a' }, value: 0 },
      { labels: { instance: 'b' }, value: 1 },
    ]);
    await at(engine, T); // for = 0: fires at once
    expect(engine.alerts.map(a => a.state)).toEqual(['firing']);
    await at(engine, T + 10 * S);
    expect(calls).toHaveLength(1);
    source.answers.set('up', [
      { labels: { instance: 'a' }, value: 0 },
      { labels: { instance: 'b' }, value: 0 },
    ]);
    await at(engine, T + 20 * S);
    expect(calls).toHaveLength(1);
    await at(engine, T + 70 * S);
    expect(calls).toHaveLength(2);
    expect(calls[1].alerts.map(a => a.labels.instance).sort()).toEqual(['a', 'b']);
    expect(calls[1].commonLabels).toEqual({ alertname: 'Down' });
  });

  it('keeps alerts as they are when the query fails, and reports the error', async () => {
    const engine = new AlertEngine({ source, clock, rules: [{ name: 'X', expr: 'x > 1' }] });
    source.answers.set('x', [{ labels: {}, value: 5 }]);
    await at(engine, clock.t);
    source.answers.delete('x');
    await at(engine, clock.t + S);
    expect(engine.alerts.map(a => a.state)).toEqual(['firing']);
    expect(engine.ruleErrors).toEqual({ X: 'unknown query x' });
  });

  it('survives a failing webhook and a throwing notifier', async () => {
    const calls: AlertNotification[] = [];
    const engine = new AlertEngine({
      source,
      clock,
      groupWait: 0,
      notifiers: [
        () => {
          throw new Error('boom');
        },
        n => void calls.push(n),
      ],
      webhooks: [{ url: 'http://127.0.0.1:1/unreachable', retries: 0, timeoutMillis: 2000 }],
      rules: [{ name: 'X', expr: 'x > 1' }],
    });
    source.answers.set('x', [{ labels: {}, value: 5 }]);
    await at(engine, clock.t);
    expect(calls).toHaveLength(1);
  });

  it('validates rules and durations with typed errors', () => {
    const engine = new AlertEngine({ source, clock });
    expect(() => engine.addRule({ name: 'bad name', expr: 'x > 1' })).toThrow(/FM_ALERT_RULE/);
    expect(() => engine.addRule({ name: 'A', expr: 'x' })).toThrow(/end expr with a comparison/);
    expect(() => engine.addRule({ name: 'A', expr: 'x', op: '=>' as never, threshold: 1 })).toThrow(/op must be one of/);
    expect(() => engine.addRule({ name: 'A', expr: 'x > 1', for: '5 minutes' })).toThrow(/expected a duration/);
    expect(() => new AlertEngine({ source, groupWait: 'soon' })).toThrow(/FM_DURATION/);
    const rule = engine.addRule({ name: 'A', expr: 'sum(rate(x{a=">"}[1m])) >= -2.5e1', for: '1h30m' });
    expect(rule).toMatchObject({ query: 'sum(rate(x{a=">"}[1m]))', op: '>=', threshold: -25, forMs: 90 * M });
  });
});
