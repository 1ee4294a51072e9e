// Builds the real app in-process on 127.0.0.1:0 with a real database and a captured log.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger } from '@apps/shared';
import { loadAppConfig, type AppConfig } from '../../src/config.js';
import { OidcClient } from '../../src/oidc/discovery.js';
import { createServer as createApp } from '../../src/server.js';
import { openAppDatabase } from '../../src/db/open.js';
import type { AppDatabase } from '../../src/db/schema.js';
import type { Browser } from './browser.js';
import { CLIENT_ID, CLIENT_SECRET } from './op-fixture.js';

export const COOKIE_SECRET = 'test-app-cookie-secret-0000000000000000000000';

export interface AppUnderTest {
  url: string;
  config: AppConfig;
  database: AppDatabase;
  oidc: OidcClient;
  logs: Array<Record<string, unknown>>;
  /** Like a restart with changed environment (e.g. a rotated COOKIE_SECRET): same URL, same database. */
  restart(env: Record<string, string>): AppUnderTest;
  /** Lets the OP fixture be started with this app's URL before the app is built. */
  close(): Promise<void>;
}

export interface AppOptions {
  issuer: string;
  apiBaseUrl?: string;
  databaseUrl?: string;
  /** Overrides the public URL (default: the in-process http URL). */
  appUrl?: string;
  retryMaxMs?: number;
  loginPrompt?: string;
  /** Further environment (e.g. DEBUG_TOKENS_PAGE). */
  env?: Record<string, string>;
}

/** Reserves a port on 127.0.0.1 so the app's URL is known before the OP fixture is configured. */
export async function reserveServer(): Promise<{ server: Server; url: string }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

export async function startApp(options: AppOptions, reserved?: { server: Server; url: string }): Promise<AppUnderTest> {
  const { server, url } = reserved ?? (await reserveServer());
  const dataDir = mkdtempSync(join(tmpdir(), 'app-test-'));
  const configFor = (env: Record<string, string | undefined> = {}) => loadAppConfig({
    NODE_ENV: 'test',
    APP_URL: options.appUrl ?? url,
    OP_ISSUER: options.issuer,
    API_BASE_URL: options.apiBaseUrl ?? 'http://127.0.0.1:9/api/fdx/v6',
    CLIENT_ID,
    CLIENT_SECRET,
    COOKIE_SECRET,
    DATA_DIR: dataDir,
    DATABASE_URL: options.databaseUrl,
    LOGIN_PROMPT: options.loginPrompt,
    ...options.env,
    ...env,
  });
  const config = configFor();
  const logs: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      done();
    },
  });
  const logger = createLogger({ name: 'app', level: 'debug' }, sink);
  const database = await openAppDatabase(config);
  const oidc = new OidcClient(config, logger, { initialDelayMs: 50, maxDelayMs: options.retryMaxMs ?? 200 }).start();
  let handler = createApp(config, { logger, database, oidc });
  server.on('request', (req, res) => void handler(req, res));
  const under: AppUnderTest = {
    url,
    config,
    database,
    oidc,
    logs,
    restart: (env) => {
      const restarted = configFor(env);
      handler = createApp(restarted, { logger, database, oidc });
      return { ...under, config: restarted };
    },
    close: async () => {
      oidc.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await database.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return under;
}

/** Drives login + consent through the OP fixture's dev interactions; returns the page the app lands on. */
export async function login(browser: Browser, app: AppUnderTest, sub = 'cust-10001') {
  const toLogin = await browser.follow(`${app.url}/login`);
  const loginPage = await toLogin.res.text();
  const afterLogin = await browser.submitForm(toLogin.url, loginPage, { login: sub, password: 'irrelevant' });
  const consentPage = await afterLogin.res.text();
  return browser.submitForm(afterLogin.url, consentPage);
}
