// The @fastmeter/node extension contract: nodeSetup(options, { extensions: { ring } })
// serves the dashboard from the ring once the provider has started, and stops it.
import { RingBufferReader } from '@fastmeter/ring';
import { FastMeterProvider } from '@fastmeter/sdk';
import { describe, expect, it } from 'vitest';
import { DashboardConfigError, nodeDashboard, nodeSetup } from '../src/index.js';

describe('nodeSetup (@fastmeter/node extension)', () => {
  it('serves the ring configured by the ring extension, with alerts and a receiver', async () => {
    const ring = new RingBufferReader({ intervalMillis: 100 });
    const extension = nodeSetup(
      { port: 0, log: null, receiver: { port: 0 }, alerts: { rules: [{ name: 'Any', expr: 'sum(jobs) > 0' }] } },
      {
        extensions: { ring: { readers: [ring], ring } },
      },
    );
    const provider = new FastMeterProvider({ readers: [ring] });
    provider.getMeter('app').createCounter('jobs').add(3);
    extension.started(provider);
    const dashboard = await nodeDashboard();
    expect(dashboard).toBeDefined();
    await new Promise(r => setTimeout(r, 300));
    const answer = await (await fetch(new URL('api/query?query=jobs', dashboard!.url))).json();
    expect(answer.data.result[0].value[1]).toBe('3');
    await extension.shutdown();
    await provider.shutdown();
    await expect(fetch(dashboard!.url)).rejects.toThrow();
  });

  it('needs the ring extension', () => {
    expect(() => nodeSetup({}, { extensions: {} })).toThrow(DashboardConfigError);
  });
});
