import { describe, expect, it } from 'vitest';
import { QueryError, RingBufferReader, format, parse } from '../../src/index.js';
import { rng } from '../helpers.js';

describe('query parser', () => {
  it('parses the language: selectors, ranges, offsets, functions, aggregations, operators', () => {
    const cases: [string, string][] = [
      ['http.requests', 'http.requests'],
      ['http_requests_total{route="/a", method!="GET"}', 'http_requests_total{route="/a",method!="GET"}'],
      ['{__name__=~"http.*", code=~"5.."}', '{__name__=~"http.*",code=~"5.."}'],
      ['{"http.server.duration", "k-8"="x"}', 'http.server.duration{"k-8"="x"}'],
      ['{"a-b"}', '{"a-b"}'],
      ['rate(x[5m])', 'rate(x[5m])'],
      ['rate(x[1h30m] offset 5m)', 'rate(x[1h30m] offset 5m)'],
      ['sum by (route) (rate(x[1m]))', 'sum by (route) (rate(x[1m]))'],
      ['sum(rate(x[1m])) without (pod)', 'sum without (pod) (rate(x[1m]))'],
      ['topk(3, x)', 'topk (3, x)'],
      ['histogram_quantile(0.99, sum by (le) (rate(h_bucket[5m])))', 'histogram_quantile(0.99, sum by (le) (rate(h_bucket[5m])))'],
      ['-2^2', '-(2 ^ 2)'],
      ['-2', '-2'],
      ['1 + 2 * 3', '(1 + (2 * 3))'],
      ['2 ^ 3 ^ 2', '(2 ^ (3 ^ 2))'],
      ['x > bool 5', '(x > bool 5)'],
      ["x{a='single', b=`raw\\n`}", 'x{a="single",b="raw\\\\n"}'],
      ['# a comment\nx', 'x'],
      ['Inf', 'Inf'],
    ];
    for (const [input, out] of cases) expect(format(parse(input)), input).toBe(out);
  });

  it('reports malformed expressions with a typed error and the position of the problem', () => {
    const cases: [string, number, RegExp][] = [
      ['rate(x[5m]', 10, /expected "," or "\)"/],
      ['x{a="b"', 7, /expected "," or "}"/],
      ['x{a=b}', 4, /quoted label value/],
      ['x{a~"b"}', 3, /unexpected character/],
      ['x[5q]', 3, /unknown duration unit "q"/],
      ['sum by (a (x)', 10, /expected "," or "\)"/],
      ['x +', 3, /end of input/],
      ['"unterminated', 0, /unterminated string/],
      ['x y', 2, /after a complete expression/],
      ['rate(x)[5m]', 7, /range \[..\] applies to a series selector only/],
      ['{}', 0, /needs a metric name/],
      ['', 0, /empty query/],
      ['x @ 5', 2, /unexpected character "@"/],
    ];
    for (const [input, pos, msg] of cases) {
      let err: unknown;
      try {
        parse(input);
      } catch (e) {
        err = e;
      }
      expect(err, input).toBeInstanceOf(QueryError);
      expect((err as QueryError).code, input).toBe('syntax');
      expect((err as QueryError).message, input).toMatch(msg);
      expect((err as QueryError).position, input).toBe(pos);
    }
    const e = new QueryError('syntax', 'x', 4, 'rate(x');
    expect(e.pointer()).toBe('rate(x\n    ^');
  });

  it('checks types and arities before reading any data', () => {
    const ring = new RingBufferReader();
    const cases: [string, RegExp][] = [
      ['rate(x)', /rate\(\) expects a range vector/],
      ['avg_over_time(x[1m], 2)', /takes 1 argument/],
      ['histogram_quantile(x, y)', /the quantile of histogram_quantile\(\) expects a scalar/],
      ['nope(x)', /unknown function nope\(\)/],
      ['x[5m]', /a range vector cannot be the result/],
      ['1 > 2', /need "bool"/],
      ['sum(x[1m])', /expects an instant vector/],
      ['topk(x)', /expects a scalar|needs a parameter|expected ","/],
      ['ewma_rate_1m(rate(x[1m]))', /takes a series selector/],
      ['x{a=~"("}', /invalid regular expression/],
    ];
    for (const [input, msg] of cases) {
      expect(() => ring.query(input), input).toThrow(msg);
      try {
        ring.query(input);
      } catch (err) {
        expect(err, input).toBeInstanceOf(QueryError);
      }
    }
  });

  it('never hangs and never throws anything but QueryError, on random and adversarial input', () => {
    const ring = new RingBufferReader();
    const alphabet = [
      'rate(',
      'sum',
      ' by ',
      '(',
      ')',
      '{',
      '}',
      '[',
      ']',
      'x',
      'a="b"',
      ',',
      '5m',
      '1',
      '+',
      '-',
      '*',
      '/',
      '^',
      '"',
      "'",
      '`',
      '=~',
      '!~',
      'offset',
      ' ',
      '\\',
      '#',
      '.',
      'e',
      'Inf',
      'NaN',
      'histogram_quantile(',
      '0.5',
      '@',
      '\n',
    ];
    const deadline = Date.now() + 5000;
    for (let seed = 1; seed <= 3000 && Date.now() < deadline; seed++) {
      const r = rng(seed);
      let s = '';
      const n = Math.floor(r() * 20);
      for (let i = 0; i < n; i++) s += alphabet[Math.floor(r() * alphabet.length)];
      try {
        ring.query(s);
      } catch (err) {
        expect(err, JSON.stringify(s)).toBeInstanceOf(QueryError);
      }
    }
    // Catastrophic-backtracking patterns run in linear time (RE2).
    const t = Date.now();
    const ring2 = new RingBufferReader();
    ring2.ingest({
      resource: { attributes: {} },
      scopeMetrics: [
        {
          scope: { name: 's' },
          metrics: [
            {
              descriptor: { name: 'x' },
              dataPointType: 2,
              dataPoints: [{ startTime: [1, 0], endTime: [Math.floor(Date.now() / 1000), 0], attributes: { a: `${'a'.repeat(5000)}c` }, value: 1 }],
            },
          ],
        },
      ],
    });
    expect(ring2.query('x{a=~"(a+)+b"}').samples).toEqual([]);
    expect(ring2.query('x{a=~"(a|aa)*c"}').samples).toHaveLength(1);
    expect(Date.now() - t).toBeLessThan(2000);
    // Deep nesting and long input are refused, not recursed into.
    expect(() => parse(`${'('.repeat(500)}x${')'.repeat(500)}`)).toThrow(/nests deeper/);
    expect(() => parse('x'.repeat(20_000))).toThrow(/longer than/);
  });
});
