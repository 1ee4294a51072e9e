import { describe, expect, it } from 'vitest';
import { documentFetch, hostMatches, type ClientIdDocumentsConfig } from '../src/provider/client-id-documents.js';

const config: ClientIdDocumentsConfig = { enabled: true, allowHosts: [], denyHosts: [], timeoutMs: 300, maxBytes: 5120, allowLoopback: false };
const GUARD = { name: "oidc-provider's special-use-address guard" } as unknown as RequestInit['dispatcher'];

/** What reached the underlying fetch. */
function recorder() {
  const seen: Array<{ url: string; init: RequestInit }> = [];
  const base = async (input: string | URL | Request, init?: RequestInit) => {
    seen.push({ url: input instanceof Request ? input.url : input.toString(), init: init ?? {} });
    return new Response('{}');
  };
  return { seen, base };
}

// oidc-provider sends its document request with redirect: 'manual' and a 2.5 s signal, and every
// request with its guarding dispatcher (see client-id-documents.ts).
const documentRequest = () => ({ method: 'GET', redirect: 'manual' as const, signal: AbortSignal.timeout(2500), dispatcher: GUARD });

describe("the OP's outbound fetch", () => {
  it('gives a document request the configured timeout and keeps the address guard', async () => {
    const { seen, base } = recorder();
    await documentFetch(config, base)('https://localhost:8443/agent.json', documentRequest());
    const { init } = seen[0]!;
    expect(init.dispatcher).toBe(GUARD);
    await new Promise((r) => setTimeout(r, 400));
    expect(init.signal?.aborted).toBe(true);
  });

  it('drops the guard for loopback document hosts only when development allows them', async () => {
    const { seen, base } = recorder();
    const fetch = documentFetch({ ...config, allowLoopback: true }, base);
    await fetch('https://localhost:8443/agent.json', documentRequest());
    await fetch('https://127.0.0.1:8443/agent.json', documentRequest());
    await fetch('https://10.0.0.8/agent.json', documentRequest());
    expect(seen.map((s) => s.init.dispatcher)).toEqual([undefined, undefined, GUARD]);
  });

  it('leaves other requests (key sets, sector documents) as oidc-provider built them', async () => {
    const { seen, base } = recorder();
    const init = { method: 'GET', signal: AbortSignal.timeout(2500), dispatcher: GUARD };
    await documentFetch({ ...config, allowLoopback: true }, base)('https://localhost/jwks', init);
    expect(seen[0]!.init).toBe(init);
  });

  it('matches hosts exactly, or any subdomain for *.', () => {
    expect(hostMatches('Agents.Example', ['agents.example'])).toBe(true);
    expect(hostMatches('eu.assistant.example', ['*.assistant.example'])).toBe(true);
    expect(hostMatches('assistant.example', ['*.assistant.example'])).toBe(false);
    expect(hostMatches('evilassistant.example', ['*.assistant.example'])).toBe(false);
    expect(hostMatches('agents.example.evil', ['agents.example'])).toBe(false);
  });
});
