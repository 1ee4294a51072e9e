import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, redact } from '../src/logger.js';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, logger: createLogger({ name: 'test', level: 'debug' }, stream) };
}

describe('logger redaction', () => {
  it('never writes authorization headers, cookies, tokens, passwords or client secrets', () => {
    const { lines, logger } = capture();
    logger.info(
      {
        req: { headers: { authorization: 'Bearer eyJSECRET', cookie: 'sid=SECRETCOOKIE' } },
        res: { headers: { 'set-cookie': 'sid=SECRETSETCOOKIE' } },
        password: 'SECRETPASSWORD',
        client_secret: 'SECRETCLIENT',
        body: { refresh_token: 'SECRETREFRESH', access_token: 'SECRETACCESS', id_token: 'SECRETID', code: 'x' },
        tokens: { accessToken: 'SECRETACCESS2', refreshToken: 'SECRETREFRESH2' },
        jti: 'visible-jti',
      },
      'event',
    );
    const out = lines.join('');
    expect(out).not.toMatch(/SECRET/);
    expect(out).toContain('visible-jti');
    expect(out).toContain('[redacted]');
  });

  it('redacts at any depth, in arrays, in any letter case, and inside logged errors', () => {
    const { lines, logger } = capture();
    const err = Object.assign(new Error('upstream refused'), {
      code: 'ECONNREFUSED',
      request: { headers: { Authorization: 'Bearer SECRETDEEP' } },
    });
    logger.error(
      {
        err,
        grant: { tokens: [{ refresh_token: 'SECRETINARRAY' }], nested: { deeper: { Client_Secret: 'SECRETCASE' } } },
        headers: { 'Set-Cookie': ['sid=SECRETSET'], 'Proxy-Authorization': 'Basic SECRETPROXY' },
        jti: 'visible-jti',
      },
      'failed',
    );
    const line = JSON.parse(lines.join('')) as { err: { code: string; message: string; stack: string }; jti: string };
    expect(JSON.stringify(line)).not.toMatch(/SECRET/);
    // An error's own code and message stay: they are what the operator needs.
    expect(line.err).toMatchObject({ code: 'ECONNREFUSED', message: 'upstream refused' });
    expect(line.err.stack).toContain('upstream refused');
    expect(line.jti).toBe('visible-jti');
  });

  it('redacts an authorization code at the top of a log object and child logger bindings', () => {
    const { lines, logger } = capture();
    logger.child({ token: 'SECRETBINDING', client: 'rp-1' }).info({ code: 'SECRETCODE', fdx: { code: 701 } }, 'callback');
    const out = lines.join('');
    expect(out).not.toMatch(/SECRET/);
    expect(out).toContain('"client":"rp-1"');
    expect(out).toContain('"fdx":{"code":701}');
  });

  it('leaves objects with nothing to redact as they are', () => {
    const logged = { req: { method: 'GET', path: '/accounts' }, res: { statusCode: 200 } };
    expect(redact(logged)).toBe(logged);
    expect(redact({ a: { password: 'x' } })).toEqual({ a: { password: '[redacted]' } });
  });
});
