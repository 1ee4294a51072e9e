import { Writable } from 'node:stream';
import express from 'express';
import { describe, expect, it } from 'vitest';
import { healthRoutes, requestLog, requestLogging } from '../src/http.js';
import { listen } from '../src/lifecycle.js';
import { createLogger } from '../src/logger.js';

async function withServer(app: express.Express, fn: (base: string) => Promise<void>) {
  const server = await listen(app, '127.0.0.1', 0);
  const { port } = server.address() as { port: number };
  try {
    await fn(`http://127.0.0.1:${port}`);
  } finally {
    server.close();
  }
}

describe('request logging', () => {
  it('gives every response a request id, reuses a well-formed incoming one, and logs no query string or auth header', async () => {
    const lines: string[] = [];
    const logger = createLogger({ name: 't' }, new Writable({ write: (c: Buffer, _e, d) => (lines.push(c.toString()), d()) }));
    const app = express();
    app.use(requestLogging(logger));
    app.get('/cb', (_req, res) => {
      res.send('ok');
    });
    await withServer(app, async (base) => {
      const fresh = await fetch(`${base}/cb?code=SECRETCODE&state=abc`, { headers: { authorization: 'Bearer SECRETTOKEN' } });
      expect(fresh.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      const reused = await fetch(`${base}/cb`, { headers: { 'x-request-id': 'caddy-req-12345' } });
      expect(reused.headers.get('x-request-id')).toBe('caddy-req-12345');
      const forged = await fetch(`${base}/cb`, { headers: { 'x-request-id': 'bad id <script>' } });
      expect(forged.headers.get('x-request-id')).not.toContain('<');
    });
    const out = lines.join('');
    expect(out).toContain('"path":"/cb"');
    expect(out).not.toContain('SECRET');
  });

  it('writes one line per finished request with its id, status and time, and tags what handlers log with the same id', async () => {
    const lines: string[] = [];
    const logger = createLogger({ name: 't' }, new Writable({ write: (c: Buffer, _e, d) => (lines.push(c.toString()), d()) }));
    const app = express();
    app.use(requestLogging(logger));
    app.get('/boom', (req, res) => {
      requestLog(req, logger).error({ detail: 'handler says' }, 'handler failed');
      res.status(502).send('bad gateway');
    });
    let requestId = '';
    await withServer(app, async (base) => {
      const res = await fetch(`${base}/boom?x=1`);
      requestId = res.headers.get('x-request-id')!;
      await fetch(`${base}/public/health`);
    });
    const entries = lines.map((l) => JSON.parse(l) as { msg: string; level: number; reqId?: string; req?: { path: string; method: string }; res?: { statusCode: number }; responseTime?: number });
    const handler = entries.find((e) => e.msg === 'handler failed');
    const done = entries.find((e) => e.msg === 'request completed');
    expect(handler?.reqId).toBe(requestId);
    expect(done).toMatchObject({ reqId: requestId, level: 50, req: { method: 'GET', path: '/boom' }, res: { statusCode: 502 } });
    expect(done?.responseTime).toBeGreaterThanOrEqual(0);
    // Health checks are polled every few seconds by the load balancer: not logged.
    expect(entries.filter((e) => e.msg === 'request completed')).toHaveLength(1);
  });

  it('logs a request whose client went away before the answer', async () => {
    const lines: string[] = [];
    const logger = createLogger({ name: 't' }, new Writable({ write: (c: Buffer, _e, d) => (lines.push(c.toString()), d()) }));
    const app = express();
    app.use(requestLogging(logger));
    let arrived!: () => void;
    const reached = new Promise<void>((resolve) => (arrived = resolve));
    app.get('/slow', () => arrived());
    await withServer(app, async (base) => {
      const controller = new AbortController();
      const pending = fetch(`${base}/slow`, { signal: controller.signal }).catch(() => undefined);
      await reached;
      controller.abort();
      await pending;
      await expect.poll(() => lines.join('')).toContain('request aborted');
    });
  });
});

describe('health routes', () => {
  it('reports liveness, and readiness from the dependency check', async () => {
    let dbUp = true;
    const app = express();
    app.use(
      healthRoutes({
        ready: () => (dbUp ? Promise.resolve() : Promise.reject(new Error('down'))),
      }),
    );
    await withServer(app, async (base) => {
      expect((await fetch(`${base}/public/health`)).status).toBe(200);
      expect((await fetch(`${base}/public/ready`)).status).toBe(200);
      dbUp = false;
      const res = await fetch(`${base}/public/ready`);
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({ status: 'unavailable' });
      expect((await fetch(`${base}/public/health`)).status).toBe(200);
    });
  });
});
