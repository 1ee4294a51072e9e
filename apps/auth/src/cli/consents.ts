import { notFoundError, table, usageError, type Noun } from '@apps/shared';
import { AuditLog } from '../audit/audit.js';
import { ConsentEndings } from '../consents/consent-endings.js';
import { ConsentStore, type Consent } from '../consents/consent-store.js';
import type { OperatorDeps } from './deps.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** A consent as the CLI shows it (times ISO 8601; accounts null: all the customer's accounts). */
function view(c: Consent) {
  return {
    consentId: c.id,
    status: c.status,
    customer: c.customerId,
    client: c.clientId,
    accounts: c.accountIds,
    scopes: c.scopes,
    grantId: c.grantId,
    createdAt: iso(c.createdAt),
    expiresAt: iso(c.expiresAt),
    lastUsedAt: iso(c.lastUsedAt),
    endedAt: iso(c.endedAt),
    endedBy: c.endedBy,
    endReason: c.endReason,
    initiator: c.initiator,
  };
}
type ConsentView = ReturnType<typeof view>;

const accountsText = (accounts: string[] | null) => (accounts === null ? 'all (the client selects)' : accounts.join(' ') || '(none)');

const rows = (consents: ConsentView[]) =>
  consents.map((c) => ({ ...c, accounts: accountsText(c.accounts), scopes: c.scopes.join(' '), endedBy: c.endedBy ?? '' }));

const showText = (c: ConsentView) =>
  [
    `consent     ${c.consentId}`,
    `status      ${c.status}`,
    `customer    ${c.customer}`,
    `client      ${c.client}`,
    `accounts    ${accountsText(c.accounts)}`,
    `scopes      ${c.scopes.join(' ')}`,
    `created     ${c.createdAt}`,
    `expires     ${c.expiresAt}`,
    `last used   ${c.lastUsedAt ?? 'never'}`,
    ...(c.endedAt ? [`ended       ${c.endedAt} by ${c.endedBy}${c.endReason ? ` (${c.endReason})` : ''}${c.initiator ? `, initiator ${c.initiator}` : ''}`] : []),
  ].join('\n');

export const consentsNoun: Noun<OperatorDeps> = {
  summary: "customers' consents to clients: list, show, revoke",
  verbs: {
    list: {
      summary: 'list the consents of a customer or of a client (newest first; ended ones too unless --active)',
      options: { customer: { type: 'string' }, client: { type: 'string' }, active: { type: 'boolean', default: false } },
      optionHelp: { customer: 'customer id (the token subject)', client: 'client_id', active: 'only consents still in force' },
      async run({ options }, deps) {
        const customer = options.customer as string | undefined;
        const client = options.client as string | undefined;
        if (customer === undefined && client === undefined) throw usageError('give --customer <id> or --client <id>');
        const consents = await new ConsentStore(deps.database.db).list({ customer, client, active: options.active === true });
        return consents.map(view);
      },
      text: (consents: ConsentView[]) => table(rows(consents), ['consentId', 'status', 'customer', 'client', 'accounts', 'createdAt', 'expiresAt', 'endedBy']),
    },
    show: {
      summary: 'show one consent: accounts, scopes, dates, how it ended',
      args: ['consent-id'],
      async run({ args }, deps) {
        const consent = await new ConsentStore(deps.database.db).get(args['consent-id']!);
        if (!consent) throw notFoundError(`no consent ${args['consent-id']}`);
        return view(consent);
      },
      text: showText,
    },
    revoke: {
      summary: 'end a consent (by the operator): its tokens stop working at the API within seconds, its refresh tokens at once',
      args: ['consent-id'],
      options: { reason: { type: 'string' } },
      optionHelp: { reason: 'why, kept with the consent and in the audit (default: operator)' },
      async run({ args, options }, deps) {
        const endings = operatorEndings(deps);
        const reason = (options.reason as string | undefined)?.slice(0, 256) ?? 'operator';
        const ended = await endings.end(args['consent-id']!, { status: 'REVOKED', by: 'operator', reason, initiator: 'cli' });
        await endings.flush();
        if (!ended) throw notFoundError(`no consent ${args['consent-id']}`);
        return { ...view(ended.consent), changed: ended.changed };
      },
      text: (c: ConsentView & { changed: boolean }) =>
        c.changed ? `consent ${c.consentId} of ${c.customer} to ${c.client} revoked` : `consent ${c.consentId} had already ended (${c.status}, by ${c.endedBy})`,
    },
  },
};

/** Consent endings as the operator's CLI makes them (audit actor: the customer; `by: operator`). */
export function operatorEndings(deps: OperatorDeps): ConsentEndings {
  return new ConsentEndings(new ConsentStore(deps.database.db), new AuditLog(deps.database.db, deps.logger));
}
