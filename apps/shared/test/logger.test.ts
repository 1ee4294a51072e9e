import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger.js';

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
});
