import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, listen } from '@apps/shared';
import { startOtlpCollector, type OtlpCollector } from '@kit/harness/otlp-collector';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAppConfig } from '../src/config.js';
import { startServer } from '../src/server.js';
import { COOKIE_SECRET } from './helpers/app-harness.js';
import { CLIENT_ID, CLIENT_SECRET } from './helpers/op-fixture.js';

describe('app traces', () => {
  let collector: OtlpCollector;
  let url: string;
  let close: () => Promise<void>;

  beforeAll(async () => {
    collector = await startOtlpCollector();
    const dataDir = mkdtempSync(join(tmpdir(), 'app-tracing-'));
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
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
      OTEL_BSP_SCHEDULE_DELAY: '20',
    });
    const service = await startServer(config, createLogger({ name: 'app', level: 'silent' }));
    const server = await listen(service.app, '127.0.0.1', 0);
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await service.close();
      rmSync(dataDir, { recursive: true, force: true });
    };
  });
  afterAll(async () => {
    await close?.();
    await collector?.close();
  });

  it('exports a server span per page, named after its route, as service "app"', async () => {
    const res = await fetch(`${url}/`);
    expect(res.status).toBe(200);
    const requestId = res.headers.get('x-request-id');
    const spans = await collector.waitFor((all) => all.some((s) => (s.attributes['http.request.header.x-request-id'] as string[] | undefined)?.[0] === requestId));
    const page = spans.find((s) => (s.attributes['http.request.header.x-request-id'] as string[] | undefined)?.[0] === requestId)!;
    expect(page).toMatchObject({ name: 'GET /', kind: 2, attributes: { 'http.route': '/', 'http.response.status_code': 200 } });
    expect(page.resource['service.name']).toBe('app');
  });
});
