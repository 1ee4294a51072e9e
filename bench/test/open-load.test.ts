import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { arrivalOffsets, openLoad, percentile } from '../lib/open-load.js';

describe('percentile (nearest rank)', () => {
  const hundred = Array.from({ length: 100 }, (_, i) => i + 1);

  it('takes the value at or above the rank, never interpolating', () => {
    expect(percentile(hundred, 50)).toBe(50);
    expect(percentile(hundred, 99)).toBe(99);
    expect(percentile(hundred, 100)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([1, 2, 3], 50)).toBe(2);
    expect(percentile([1, 2, 3, 4], 99)).toBe(4);
  });

  it('is NaN without values and refuses a percentile outside (0, 100]', () => {
    expect(percentile([], 50)).toBeNaN();
    expect(() => percentile(hundred, 0)).toThrow(RangeError);
    expect(() => percentile(hundred, 101)).toThrow(RangeError);
  });
});

describe('open-model load', () => {
  it('spaces arrivals evenly at the rate', () => {
    expect(arrivalOffsets(4, 5)).toEqual([0, 250, 500, 750, 1000]);
    expect(() => arrivalOffsets(0, 1)).toThrow(RangeError);
  });

  it('keeps sending at the rate while answers are slow, and counts latency from when each request was due', async () => {
    let inFlight = 0;
    let mostInFlight = 0;
    const server = createServer((req, res) => {
      inFlight++;
      mostInFlight = Math.max(mostInFlight, inFlight);
      setTimeout(() => {
        inFlight--;
        res.writeHead(req.url === '/fail' ? 500 : 200).end('ok');
      }, 100);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      let n = 0;
      const statuses: number[] = [];
      const result = await openLoad({
        url,
        rate: 200,
        durationSeconds: 0.5,
        next: () => ({ method: 'GET', path: n++ % 10 === 9 ? '/fail' : '/' }),
        onResponse: (status) => statuses.push(status),
      });
      expect(result.sent).toBe(100);
      expect(result.failures).toBe(10);
      expect(result.ok).toBe(90);
      expect(statuses).toHaveLength(100);
      // A closed loop would wait for each answer; at 200/s and 100 ms per answer ~20 are open at once.
      expect(mostInFlight).toBeGreaterThanOrEqual(10);
      expect(result.p50).toBeGreaterThanOrEqual(99);
      expect(result.p99).toBeGreaterThanOrEqual(result.p50);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('refuses a target that is not on loopback', async () => {
    await expect(openLoad({ url: 'http://example.com', rate: 1, durationSeconds: 1, next: () => ({ method: 'GET', path: '/' }) })).rejects.toThrow(/loopback/);
  });
});
