import { OAuthClient } from '@kit/harness/oauth';
import { startOtlpCollector, type OtlpCollector } from '@kit/harness/otlp-collector';
import { createTestStore, type TestStore } from '@kit/harness/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestAuth, type TestAuth } from './helpers/auth-server.js';

describe('OP traces', () => {
  let collector: OtlpCollector;
  let store: TestStore;
  let op: TestAuth;

  beforeAll(async () => {
    collector = await startOtlpCollector();
    store = await createTestStore('sqlite');
    op = await startTestAuth(store, { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_BSP_SCHEDULE_DELAY: '20' });
  });
  afterAll(async () => {
    await op?.close();
    await store?.cleanup();
    await collector?.close();
  });

  it("traces a code flow's token request through oidc-provider down to its storage queries, without a secret in any span", async () => {
    const browser = new OAuthClient(op.issuer);
    const { code, verifier } = await browser.authorize({ scope: 'openid offline_access accounts:read', prompt: 'consent' });
    const exchanged = await browser.exchange(code!, verifier);
    expect(exchanged.status).toBe(200);
    const requestId = exchanged.headers.get('x-request-id');
    const tokenSpan = () =>
      collector.spans.find((s) => s.kind === 2 && (s.attributes['http.request.header.x-request-id'] as string[] | undefined)?.[0] === requestId);
    await collector.waitFor(() => tokenSpan() !== undefined);
    const server = tokenSpan()!;
    expect(server.name).toBe('POST /token');
    expect(server.resource['service.name']).toBe('auth');
    const children = collector.spans.filter((s) => s.traceId === server.traceId && s.parentSpanId === server.spanId);
    expect(children.map((s) => s.attributes['db.system.name'])).toContain('sqlite');
    const exported = JSON.stringify(collector.spans, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
    const tokens = exchanged.body as { access_token: string; refresh_token: string };
    for (const secret of [code!, verifier, tokens.access_token, tokens.refresh_token]) expect(exported).not.toContain(secret);
  });
});
