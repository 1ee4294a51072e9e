import { CatalogUnavailable, type AccountCatalog, type CatalogAccount } from '../consents/account-catalog.js';
import { accountChoices } from '../consents/account-choice.js';
import type { Consent, EndedBy } from '../consents/consent-store.js';
import { describeScopes } from '../provider/scopes.js';
import type { ClientLabel, ClientLabels } from './client-labels.js';

/** One connection as the connected-apps page shows it. */
export interface Connection {
  id: string;
  app: ClientLabel;
  active: boolean;
  /** What the app can see, in the consent page's words. */
  scopes: ReturnType<typeof describeScopes>;
  /** The accounts shared; null: all the customer's accounts (the app selects them itself). */
  accounts: { label: string; description: string }[] | null;
  grantedOn: string;
  /** The last time an access token was issued under it (null: never). */
  lastUsed: string | null;
  expiresOn: string;
  /** For an ended connection: when, and who ended it in plain words. */
  endedOn: string | null;
  endedHow: string | null;
}

export interface ConnectionsPage {
  active: Connection[];
  ended: Connection[];
  /** The account catalog could not be read: accounts are shown by masked reference. */
  accountsUnavailable: boolean;
}

const day = (ms: number) => new Date(ms).toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });

/** An account id the catalog cannot name: only its last four characters. */
const masked = (accountId: string) => ({ label: `Account ending ${accountId.slice(-4)}`, description: 'Account details are unavailable right now' });

function endedHow(consent: Consent, app: ClientLabel): string {
  if (consent.status === 'EXPIRED') return 'Expired';
  const by: Record<EndedBy, string> = { customer: 'You stopped sharing', client: `${app.name} disconnected`, operator: 'Ended by your bank', system: 'Ended automatically' };
  if (consent.endedBy === 'customer' && consent.endReason === 'signed_out') return 'Ended when you signed out';
  return consent.endedBy ? by[consent.endedBy] : 'Ended';
}

/**
 * The customer's connections, active ones first: every consent from the store, each with its app's
 * name, what it can see and which accounts. The accounts are named from the catalog, read once; when
 * it cannot answer the page still shows every connection, with masked account references.
 */
export async function connectionsPage(consents: Consent[], deps: { labels: ClientLabels; catalog: AccountCatalog; customerId: string; now?: number }): Promise<ConnectionsPage> {
  const now = deps.now ?? Date.now();
  let catalog: Map<string, CatalogAccount> | undefined;
  let accountsUnavailable = false;
  if (consents.some((c) => c.accountIds !== null && c.accountIds.length > 0)) {
    try {
      catalog = new Map((await deps.catalog.accountsOf(deps.customerId)).map((a) => [a.accountId, a]));
    } catch (err) {
      if (!(err instanceof CatalogUnavailable)) throw err;
      accountsUnavailable = true;
    }
  }
  const named = (accountId: string) => {
    const account = catalog?.get(accountId);
    // Closed accounts are named too: the connection may still list them.
    const choice = account && accountChoices([{ ...account, status: undefined }])[0];
    return choice ? { label: choice.label, description: choice.description } : masked(accountId);
  };
  const connections = await Promise.all(
    consents.map(async (consent): Promise<Connection> => {
      const app = await deps.labels.of(consent.clientId);
      const active = consent.status === 'ACTIVE' && consent.expiresAt > now;
      return {
        id: consent.id,
        app,
        active,
        scopes: describeScopes(consent.scopes),
        accounts: consent.accountIds === null ? null : consent.accountIds.map(named),
        grantedOn: day(consent.createdAt),
        lastUsed: consent.lastUsedAt === null ? null : day(consent.lastUsedAt),
        expiresOn: day(consent.expiresAt),
        endedOn: active ? null : day(consent.endedAt ?? consent.expiresAt),
        endedHow: active ? null : endedHow(consent.status === 'ACTIVE' ? { ...consent, status: 'EXPIRED' } : consent, app),
      };
    }),
  );
  return { active: connections.filter((c) => c.active), ended: connections.filter((c) => !c.active), accountsUnavailable };
}
