import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, listen } from '@apps/shared';
import { Scrape } from '@kit/harness/metrics';
import { createTempDatabase, type TempDatabase } from '@kit/harness/postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAppConfig } from '../src/config.js';
import { startServer, type AppService } from '../src/server.js';
import { COOKIE_SECRET } from './helpers/app-harness.js';
import { CLIENT_ID, CLIENT_SECRET } from './helpers/op-fixture.js';

describe.each(['SQLite', 'PostgreSQL'] as const)('app metrics with sessions on %s, scraped from METRICS_PORT', (engine) => {
  let service: AppService;
  let url: string;
  let close: () => Promise<void>;

  beforeAll(async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'app-metrics-'));
    const temp: TempDatabase | undefined = engine === 'PostgreSQL' ? await createTempDatabase('app_metrics') : undefined;
    const config = loadAppConfig({
      NODE_ENV: 'test',
      APP_URL: 'http://127.0.0.1:9',
      // No OP answers here: discovery keeps retrying in the background, pages still render.
      OP_ISSUER: 'http://127.0.0.1:9',
      API_BASE_URL: 'http://127.0.0.1:9/api/fdx/v6',
      CLIENT_ID,
      CLIENT_SECRET,
      COOKIE_SECRET,
      DATA_DIR: dataDir,
      DATABASE_URL: temp?.url,
      METRICS_PORT: '0',
    });
    service = await startServer(config, createLogger({ name: 'app', level: 'silent' }));
    const server = await listen(service.app, '127.0.0.1', 0);
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await service.close();
      await temp?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    };
  });
  afterAll(() => close?.());

  it('counts page requests by route template on its own loopback listener', async () => {
    const before = await Scrape.from(service.metricsServer!.url);
    expect((await fetch(`${url}/`)).status).toBe(200);
    expect((await fetch(`${url}/no/such/page/42`)).status).toBe(404);
    const after = await Scrape.from(service.metricsServer!.url);
    const moved = (labels: Record<string, string>) =>
      after.sum('http_server_request_duration_seconds_count', labels) - before.sum('http_server_request_duration_seconds_count', labels);
    expect(moved({ http_request_method: 'GET', http_route: '/', http_response_status_code: '200' })).toBe(1);
    expect(moved({ http_request_method: 'GET', http_route: 'unmatched', http_response_status_code: '404' })).toBe(1);
    expect(after.families.get('nodejs_eventloop_lag_seconds')).toBe('gauge');
    expect((await fetch(`${url}/metrics`)).status).toBe(404);
  });
});
