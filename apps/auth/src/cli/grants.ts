import { notFoundError, table, usageError, type Noun } from '@apps/shared';
import { AuditLog } from '../audit/audit.js';
import { GrantStore, type GrantSummary } from '../grants/grant-store.js';
import type { OperatorDeps } from './deps.js';
import { operatorEndings } from './consents.js';

const rows = (grants: GrantSummary[]) => grants.map((g) => ({ ...g, scopes: g.scopes.join(' ') }));

export const grantsNoun: Noun<OperatorDeps> = {
  summary: "customers' grants to clients: list, revoke",
  verbs: {
    list: {
      summary: 'list the live grants of a customer or of a client',
      options: { customer: { type: 'string' }, client: { type: 'string' } },
      optionHelp: { customer: 'customer id (the token subject)', client: 'client_id' },
      async run({ options }, deps) {
        const customer = options.customer as string | undefined;
        const client = options.client as string | undefined;
        if (customer === undefined && client === undefined) throw usageError('give --customer <id> or --client <id>');
        return new GrantStore(deps.database.db).list({ customer, client });
      },
      text: (grants: GrantSummary[]) => table(rows(grants), ['grantId', 'customer', 'client', 'scopes', 'createdAt', 'expiresAt']),
    },
    revoke: {
      summary: 'revoke a grant and every token and code issued under it',
      args: ['grant-id'],
      async run({ args }, deps) {
        const grantId = args['grant-id']!;
        const grants = new GrantStore(deps.database.db);
        const grant = await grants.find(grantId);
        if (!grant) throw notFoundError(`no grant ${grantId}`);
        // Its consent ends with it (by the operator), so its access tokens stop working at the API too.
        const endings = operatorEndings(deps);
        const ended = await endings.endByGrant(grantId, { status: 'REVOKED', by: 'operator', reason: 'grant_revoked', initiator: 'cli' });
        await endings.flush();
        if (!(await grants.revoke(grantId)) && !ended) throw notFoundError(`no grant ${grantId}`);
        await new AuditLog(deps.database.db, deps.logger).record({
          type: 'grant.revoked',
          actor: 'cli',
          clientId: grant.client ?? undefined,
          detail: { grantId, customer: grant.customer },
        });
        return { ...grant, revoked: true };
      },
      text: (g: GrantSummary) => `grant ${g.grantId} of ${g.customer ?? '?'} to ${g.client ?? '?'} revoked`,
    },
  },
};
