import { Writable } from 'node:stream';
import express from 'express';
import { describe, expect, it } from 'vitest';
import { healthRoutes, requestLogging } from '../src/http.js';
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
