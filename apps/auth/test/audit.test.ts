import { Writable } from 'node:stream';
import { createLogger } from '@apps/shared';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exchange, OAuthClient, TEST_CLIENT, tokenRequest } from '@kit/harness/oauth';
import { ENGINES, createTestStore, type TestStore } from '@kit/harness/store';
import { startServer, type AuthService } from '../src/server.js';
import { loadAuthConfig } from '../src/config.js';
import { AuditLog } from '../src/audit/audit.js';
import { openAuthDatabase } from '../src/db/open.js';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PUBLIC_CLIENT, TEST_INTERNAL_SECRET } from './helpers/auth-server.js';
import { startCatalogServer, type CatalogServer } from '@kit/harness/account-catalog';

describe('audit trail and logs', () => {
  let store: TestStore;
  let server: Server;
  let auth: AuthService;
  let issuer: string;
  let catalog: CatalogServer;
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
    catalog = await startCatalogServer(TEST_INTERNAL_SECRET);
    const config = loadAuthConfig({
      NODE_ENV: 'test',
      OP_ISSUER: issuer,
      OIDC_CLIENTS: JSON.stringify([TEST_CLIENT, PUBLIC_CLIENT]),
      INTERNAL_SECRET: TEST_INTERNAL_SECRET,
      API_INTERNAL_URL: catalog.url,
      ...store.env,
    });
    auth = await startServer(config, logger);
    server.on('request', (req, res) => {
      auth.app(req, res);
    });
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await auth?.close();
    await catalog?.close();
    await store?.cleanup();
  });

  it('records login, consent, token issue, refresh and reuse detection, and logs no secret', async () => {
    const browser = new OAuthClient(issuer);
    const { code, verifier } = await browser.authorize({ prompt: 'consent' });
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
    for (const secret of [tokens.body.access_token, tokens.body.refresh_token!, tokens.body.id_token!, code!, verifier, 'passw0rd!', TEST_CLIENT.client_secret, TEST_INTERNAL_SECRET]) {
      expect(log).not.toContain(secret);
    }
    expect(log).toContain('"audit":"refresh_token.reuse_detected"');
  });
});

describe.each(ENGINES)('audit log writes on %s', (engine) => {
  let store: TestStore;
  beforeAll(async () => {
    store = await createTestStore(engine);
  });
  afterAll(async () => {
    await store?.cleanup();
  });

  const silent = () => createLogger({ name: 'audit-test', level: 'silent' });
  const stored = async () => {
    const database = await openAuthDatabase(store.config);
    try {
      return await database.db.selectFrom('audit_events').select(['type', 'client_id', 'detail']).orderBy('at').execute();
    } finally {
      await database.close();
    }
  };

  it('writes every event of a burst (several statements of 100), each record() settling once written', async () => {
    const database = await openAuthDatabase(store.config);
    const audit = new AuditLog(database.db, silent());
    try {
      await Promise.all(Array.from({ length: 250 }, (_, i) => audit.record({ type: 'token.refreshed', clientId: `burst-${i}`, detail: { n: i } })));
      const rows = await database.db.selectFrom('audit_events').select('client_id').where('client_id', 'like', 'burst-%').execute();
      expect(rows).toHaveLength(250);
      expect(new Set(rows.map((r) => r.client_id)).size).toBe(250);
    } finally {
      await database.close();
    }
  });

  it('writes the events still queued when flushed before the database closes', async () => {
    const database = await openAuthDatabase(store.config);
    const audit = new AuditLog(database.db, silent());
    for (const type of ['login.success', 'consent.granted', 'token.issued'] as const) void audit.record({ type, clientId: 'on-close' });
    await audit.flush();
    await database.close();
    expect((await stored()).filter((r) => r.client_id === 'on-close').map((r) => r.type)).toEqual(['login.success', 'consent.granted', 'token.issued']);
  });

  it('settles and logs a warning, without the event detail, when the write fails', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(chunk.toString());
        cb();
      },
    });
    const database = await openAuthDatabase(store.config);
    const audit = new AuditLog(database.db, createLogger({ name: 'audit-test', level: 'warn' }, sink));
    await sql`alter table audit_events rename to audit_events_away`.execute(database.db);
    try {
      await audit.record({ type: 'grant.revoked', clientId: 'fails', detail: { jti: 'jti-123' } });
    } finally {
      await sql`alter table audit_events_away rename to audit_events`.execute(database.db);
      await database.close();
    }
    const warning = lines.find((l) => l.includes('audit write failed'));
    expect(warning).toContain('grant.revoked');
    expect(warning).not.toContain('jti-123');
  });
});
