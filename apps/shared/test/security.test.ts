import express from 'express';
import { describe, expect, it } from 'vitest';
import helmet from 'helmet';
import { apiSecurityHeaders, fixedHeaders, webSecurityHeaders } from '../src/security.js';
import { listen } from '../src/lifecycle.js';

async function headersFor(app: express.Express) {
  app.get('/', (_req, res) => {
    res.send('ok');
  });
  const server = await listen(app, '127.0.0.1', 0);
  const { port } = server.address() as { port: number };
  try {
    const res = await fetch(`http://127.0.0.1:${port}/`);
    return res.headers;
  } finally {
    server.close();
  }
}

describe('security header presets', () => {
  it('pages get a CSP without unsafe-inline and no framing', async () => {
    const app = express();
    app.use(webSecurityHeaders({ formAction: ["'self'", 'https://rp.example'] }));
    const h = await headersFor(app);
    const csp = h.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("form-action 'self' https://rp.example");
    expect(csp).not.toContain('unsafe-inline');
    expect(h.get('strict-transport-security')).toContain('max-age=31536000');
    expect(h.get('x-content-type-options')).toBe('nosniff');
  });

  it('JSON APIs get default-src none and no-store', async () => {
    const app = express();
    app.use(apiSecurityHeaders());
    const h = await headersFor(app);
    expect(h.get('content-security-policy')).toContain("default-src 'none'");
    expect(h.get('cache-control')).toBe('no-store');
  });

  it('sends exactly the headers helmet itself sends, computed once', async () => {
    const options = { contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"] } } };
    const viaHelmet = express();
    viaHelmet.use(helmet(options));
    const fixed = express();
    fixed.use(fixedHeaders(helmet(options)));
    const own = (h: Headers) => [...h].filter(([name]) => !['date', 'content-length', 'etag', 'connection', 'keep-alive'].includes(name));
    expect(own(await headersFor(fixed))).toEqual(own(await headersFor(viaHelmet)));
    expect(own(await headersFor(fixed)).length).toBeGreaterThan(8);
  });

  it('refuses a preset that does not set its headers synchronously', () => {
    expect(() => fixedHeaders((_req, _res, next) => setImmediate(next))).toThrow(/synchronously/);
  });
});
