import { Https } from '@kit/harness/http';
import { basic, form, type Tokens } from '@kit/harness/oauth';
import { createTempDatabase, PG_ADMIN_URL, postgresReachable, type TempDatabase } from '@kit/harness/postgres';
import { instanceUrl, median, refusedAfter } from '@kit/harness/revocation';
import type { Stack } from '@kit/harness/stack';
import { newSecrets, SCALE_CLIENT, scaleClient, startTopology } from '@kit/harness/topology';
import type { BenchModule } from '../lib/context.js';
import type { Section } from '../lib/report.js';

/** Revocations measured (each on a consent of its own). */
const ROUNDS = 5;

const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;

/**
 * Revocation → refused on the scale topology (two OP and two API instances on PostgreSQL, the
 * real OP's consent feed): sign in, use the access token on both API instances, revoke the grant's
 * refresh token at the OP (RFC 7009, which ends the consent), then time until each API instance
 * answers 401. Needs the OP side of the consent lifecycle (fdxConsentId on access tokens and the
 * change feed); without it the module reports that instead of a figure.
 */
export const revocationModule: BenchModule = {
  name: 'revocation',
  description: 'revocation → refused on two API instances, the whole stack on PostgreSQL (real OP feed)',
  async available() {
    return (await postgresReachable()) || `no PostgreSQL at ${new URL(PG_ADMIN_URL).host} (set PG_TEST_URL)`;
  },
  async run(ctx) {
    const databases: TempDatabase[] = [];
    let stack: Stack | undefined;
    let client: Https | undefined;
    try {
      for (const _ of ['auth', 'api', 'app']) databases.push(await createTempDatabase('bench_revoke'));
      ctx.log('revocation: starting two OP and two API instances on PostgreSQL');
      stack = await startTopology({ databaseUrls: { auth: databases[0]!.url, api: databases[1]!.url, app: databases[2]!.url }, secrets: newSecrets() });
      client = new Https(stack.ca);
      const apis = stack.instances.filter((i) => i.service === 'api');
      const rows: Array<Record<string, string | number>> = [];
      for (let round = 1; round <= ROUNDS; round++) {
        const user = scaleClient(stack, client);
        const tokens: Tokens = await user.signIn();
        if (typeof claimsOf(tokens.access_token).fdxConsentId !== 'string') {
          return [
            {
              title: 'Revocation → refused (two API instances, real OP)',
              columns: ['result'],
              rows: [{ result: 'not measured' }],
              notes: ['The OP issues access tokens without fdxConsentId: the OP side of the consent lifecycle (branch consent-op) is not in this build. Hook: bench/modules/revocation.ts.'],
            },
          ];
        }
        for (const api of apis) {
          const res = await fetch(`http://127.0.0.1:${api.port}/api/fdx/v6/accounts`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
          if (res.status !== 200) throw new Error(`${api.id} refused a fresh token: HTTP ${res.status}`);
          await res.body?.cancel();
        }
        const from = performance.now();
        const revocation = form({ token: tokens.refresh_token, token_type_hint: 'refresh_token' });
        revocation.headers.authorization = basic(SCALE_CLIENT.client_id, SCALE_CLIENT.client_secret);
        const revoked = await user.request(`${stack.urls.auth}/token/revocation`, revocation, false);
        if (revoked.status !== 200) throw new Error(`RFC 7009 revocation: HTTP ${revoked.status}`);
        const times = await Promise.all(apis.map((api) => refusedAfter(instanceUrl(api.port), tokens.access_token, from)));
        rows.push({ round, ...Object.fromEntries(apis.map((api, i) => [`${api.id} ms`, Math.round(times[i]!)])) });
        ctx.log(`revocation: round ${round}: ${times.map((t) => Math.round(t)).join(' / ')} ms`);
      }
      const all = rows.flatMap((r) => apis.map((api) => Number(r[`${api.id} ms`])));
      const section: Section = {
        title: 'Revocation → refused (two API instances, real OP)',
        columns: ['round', ...apis.map((api) => `${api.id} ms`)],
        rows,
        notes: [
          `From the RFC 7009 revocation request at the OP to the first 401 (FDX 602) on each API instance, polled every 10 ms: median ${Math.round(median(all))} ms, slowest ${Math.round(Math.max(...all))} ms (target ≤ 5,000 ms; CONSENT_FEED_INTERVAL_MS=1000).`,
        ],
      };
      return [section];
    } finally {
      client?.close();
      await stack?.stop();
      for (const db of databases) await db.drop();
    }
  },
};
