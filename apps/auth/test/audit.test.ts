import { Writable } from 'node:stream';
import { createLogger } from '@apps/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAuth, type AuthApp } from '../src/app.js';
import { loadAuthConfig } from '../src/config.js';
import { openAuthDatabase } from '../src/db/open.js';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PUBLIC_CLIENT, TEST_CLIENT } from './helpers/auth_server.js';
import { createTestStore, type TestStore } from './helpers/db.js';
import { Browser, authorize, exchange, tokenRequest } from './helpers/flow.js';

describe('audit trail and logs', () => {
  let store: TestStore;
  let server: Server;
  let auth: AuthApp;
  let issuer: string;
  const lines: string[] = [];

  beforeAll(async () => {
    store = await createTestStore('sqlite');
    server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(chunk.toString());
        cb();
      },
    });
    const logger = createLogger({ name: 'auth', level: 'debug' }, sink);
    const config = loadAuthConfig({ NODE_ENV: 'test', OP_ISSUER: issuer, OIDC_CLIENTS: JSON.stringify([TEST_CLIENT, PUBLIC_CLIENT]), ...store.env });
    auth = await startAuth(config, logger);
    server.on('request', (req, res) => {
      auth.app(req, res);
    });
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await auth?.close();
    await store?.cleanup();
  });

  it('records login, consent, token issue, refresh and reuse detection, and logs no secret', async () => {
    const browser = new Browser(issuer);
    const { code, verifier } = await authorize(browser, { prompt: 'consent' });
    const tokens = await exchange(issuer, code!, verifier);
    const refreshed = await tokenRequest(issuer, { grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token! });
    expect(refreshed.status).toBe(200);
    await tokenRequest(issuer, { grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token! });
    const database = await openAuthDatabase(store.config);
    try {
      // Audit writes do not hold up the response; wait until the last one lands.
      let types: string[] = [];
      for (let i = 0; i < 50 && !types.includes('refresh_token.reuse_detected'); i++) {
        if (i > 0) await new Promise((r) => setTimeout(r, 20));
        types = (await database.db.selectFrom('audit_events').select('type').execute()).map((e) => e.type);
      }
      for (const type of ['login.success', 'consent.granted', 'token.issued', 'token.refreshed', 'refresh_token.reuse_detected']) {
        expect(types).toContain(type);
      }
    } finally {
      await database.close();
    }

    const log = lines.join('');
    for (const secret of [tokens.body.access_token, tokens.body.refresh_token!, tokens.body.id_token!, code!, verifier, 'passw0rd!', TEST_CLIENT.client_secret]) {
      expect(log).not.toContain(secret);
    }
    expect(log).toContain('"audit":"refresh_token.reuse_detected"');
  });
});
