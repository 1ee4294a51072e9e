import { conflictError, notFoundError, table, usageError, type Noun } from '@apps/shared';
import { AuditLog } from '../audit/audit.js';
import { ClientExistsError, ClientStore, ClientValidationError, StaticClientError, type ClientSummary } from '../clients/client-store.js';
import { GrantStore } from '../grants/grant-store.js';
import { RATE_LIMIT_FIELDS, type ClientRateLimits } from '../security/client-limits.js';
import type { OperatorDeps } from './deps.js';
import { operatorEndings } from './consents.js';

const storeOf = (deps: OperatorDeps) => new ClientStore(deps.database.db, deps.config.clients);

/** Store errors → CLI exit codes: a static or existing client is a conflict (4), bad metadata is usage (2). */
async function translated<T>(op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    if (err instanceof StaticClientError || err instanceof ClientExistsError) throw conflictError(err.message);
    if (err instanceof ClientValidationError) throw usageError(err.message);
    throw err;
  }
}

/** No CLI client of that id: a registered one is a conflict (it is managed over HTTP), else not found. */
async function missing(deps: OperatorDeps, clientId: string): Promise<never> {
  const client = await storeOf(deps).find(clientId);
  if (client?.source === 'registration') {
    throw conflictError(`client ${clientId} was registered over HTTP: manage it there (RFC 7592) or delete it`);
  }
  throw notFoundError(`no client ${clientId}`);
}

const record = async (deps: OperatorDeps, type: 'client.created' | 'client.rate_limits_set' | 'client.secret_rotated' | 'client.disabled' | 'client.enabled' | 'client.deleted', clientId: string, detail?: Record<string, unknown>) => {
  await new AuditLog(deps.database.db, deps.logger).record({ type, actor: 'cli', clientId, ...(detail ? { detail } : {}) });
};

/** `--token-per-minute 600` → { token_per_minute: 600 }: one option per field of `rate_limits`. */
const RATE_LIMIT_OPTIONS = Object.fromEntries(RATE_LIMIT_FIELDS.map((f) => [f.replaceAll('_', '-'), { type: 'string' as const }]));
const RATE_LIMIT_HELP = Object.fromEntries(RATE_LIMIT_FIELDS.map((f) => [f.replaceAll('_', '-'), `rate_limits.${f}: requests per minute, 0 = no limit (default: by kind)`]));

function rateLimitsOf(options: Record<string, unknown>): ClientRateLimits {
  const limits: Record<string, number> = {};
  for (const field of RATE_LIMIT_FIELDS) {
    const value = options[field.replaceAll('_', '-')];
    if (value === undefined) continue;
    if (typeof value !== 'string' || !/^\d+$/.test(value)) throw usageError(`--${field.replaceAll('_', '-')} must be a whole number (0 = no limit)`);
    limits[field] = Number(value);
  }
  return limits;
}

const describeLimits = (limits: ClientRateLimits) =>
  Object.entries(limits)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ') || '(defaults for its kind)';

const describeClient = (c: ClientSummary) =>
  [
    `client_id      ${c.clientId}`,
    `name           ${c.name ?? ''}`,
    `source         ${c.source}`,
    `type           ${c.type}`,
    `status         ${c.status}`,
    `redirect_uris  ${c.redirectUris.join(' ')}`,
    `grant_types    ${c.grantTypes.join(' ')}`,
    `fdx_scopes     ${c.fdxScopes.join(' ')}`,
    `require_par    ${c.requirePar ? 'yes' : 'no'}`,
    `accounts       ${c.accountSelection ? 'the customer selects them at consent' : 'all (the client selects them itself)'}`,
    `consent_days   ${c.consentDurationDays ?? 'default (CONSENT_DURATION_DAYS)'}`,
    `rate_limits    ${describeLimits(c.rateLimits)}`,
    ...(c.createdAt ? [`created        ${c.createdAt}`] : []),
  ]
    .map((line) => line.trimEnd())
    .join('\n');

const withSecret = (r: { client: ClientSummary; secret?: string | undefined }) =>
  r.secret
    ? `${describeClient(r.client)}\nclient_secret  ${r.secret}\n\nThe secret is shown only this once: store it now.`
    : describeClient(r.client);

export const clientsNoun: Noun<OperatorDeps> = {
  summary: 'OAuth clients: add, list, show, rotate-secret, set-limits, disable, enable, delete',
  verbs: {
    add: {
      summary: 'add a client (its generated secret is printed once)',
      options: {
        name: { type: 'string' },
        'redirect-uri': { type: 'string', multiple: true },
        'post-logout-redirect-uri': { type: 'string', multiple: true },
        id: { type: 'string' },
        public: { type: 'boolean', default: false },
        'fdx-scope': { type: 'string', multiple: true },
        'grant-type': { type: 'string', multiple: true },
        scope: { type: 'string' },
        'require-par': { type: 'boolean', default: false },
        'skip-account-selection': { type: 'boolean', default: false },
        'consent-days': { type: 'string' },
        ...RATE_LIMIT_OPTIONS,
      },
      optionHelp: {
        name: 'shown on the consent page (required)',
        'redirect-uri': 'where codes are sent (required; https, or http on loopback)',
        'post-logout-redirect-uri': 'where logout may return to',
        id: 'client_id (default: generated)',
        public: 'no secret: PKCE only (apps that cannot keep a secret)',
        'fdx-scope': 'FDX scope added when a request names none (accounts:read, customers:read, transactions:read)',
        'grant-type': 'authorization_code, refresh_token (default both)',
        scope: 'scopes the client may ask for (default: all)',
        'require-par': 'authorization requests only as pushed authorization requests (RFC 9126)',
        'skip-account-selection': 'share all accounts without asking (the client runs its own selection, as Plaid does)',
        'consent-days': 'how long its consents last (default CONSENT_DURATION_DAYS, at most CONSENT_MAX_DAYS)',
        ...RATE_LIMIT_HELP,
      },
      async run({ options }, deps) {
        const name = options.name as string | undefined;
        const redirectUris = (options['redirect-uri'] as string[] | undefined) ?? [];
        if (!name) throw usageError('--name is required');
        if (redirectUris.length === 0) throw usageError('--redirect-uri is required');
        const days = options['consent-days'] === undefined ? undefined : Number(options['consent-days']);
        if (days !== undefined && (!Number.isInteger(days) || days < 1 || days > deps.config.consents.maxDays)) {
          throw usageError(`--consent-days must be a whole number of days from 1 to ${deps.config.consents.maxDays} (CONSENT_MAX_DAYS)`);
        }
        const added = await translated(() =>
          storeOf(deps).add({
            clientId: options.id as string | undefined,
            name,
            redirectUris,
            postLogoutRedirectUris: options['post-logout-redirect-uri'] as string[] | undefined,
            public: options.public === true,
            fdxScopes: options['fdx-scope'] as string[] | undefined,
            grantTypes: options['grant-type'] as string[] | undefined,
            scope: options.scope as string | undefined,
            requirePar: options['require-par'] === true,
            accountSelection: options['skip-account-selection'] !== true,
            consentDurationDays: days,
            rateLimits: rateLimitsOf(options),
          }),
        );
        await record(deps, 'client.created', added.client.clientId, { type: added.client.type });
        return { ...added.client, ...(added.secret ? { clientSecret: added.secret } : {}) };
      },
      text: (r: ClientSummary & { clientSecret?: string }) => withSecret({ client: r, secret: r.clientSecret }),
    },
    list: {
      summary: 'list every client: static, added here, registered over HTTP',
      async run(_input, deps) {
        return storeOf(deps).list();
      },
      text: (rows: ClientSummary[]) => table(rows as unknown as Record<string, unknown>[], ['clientId', 'name', 'source', 'type', 'status', 'createdAt']),
    },
    show: {
      summary: 'show one client (never its secret)',
      args: ['client-id'],
      async run({ args }, deps) {
        const client = await storeOf(deps).find(args['client-id']!);
        if (!client) throw notFoundError(`no client ${args['client-id']}`);
        return client;
      },
      text: describeClient,
    },
    'rotate-secret': {
      summary: 'give a client a new secret (printed once); the old one stops working at once',
      args: ['client-id'],
      async run({ args }, deps) {
        const id = args['client-id']!;
        const rotated = (await translated(() => storeOf(deps).rotateSecret(id))) ?? (await missing(deps, id));
        await record(deps, 'client.secret_rotated', id);
        return { ...rotated.client, clientSecret: rotated.secret };
      },
      text: (r: ClientSummary & { clientSecret?: string }) => withSecret({ client: r, secret: r.clientSecret }),
    },
    'set-limits': {
      summary: "set a client's own rate limits (requests per minute; the others keep their kind's defaults)",
      args: ['client-id'],
      options: { ...RATE_LIMIT_OPTIONS, reset: { type: 'boolean', default: false } },
      optionHelp: { ...RATE_LIMIT_HELP, reset: 'forget its current limits first (back to the defaults for its kind)' },
      async run({ args, options }, deps) {
        const id = args['client-id']!;
        const limits = rateLimitsOf(options);
        if (Object.keys(limits).length === 0 && options.reset !== true) throw usageError(`give at least one of ${RATE_LIMIT_FIELDS.map((f) => `--${f.replaceAll('_', '-')}`).join(', ')}, or --reset`);
        const client = (await translated(() => storeOf(deps).setRateLimits(id, limits, options.reset === true))) ?? (await missing(deps, id));
        await record(deps, 'client.rate_limits_set', id, { rateLimits: client.rateLimits });
        return client;
      },
      text: (c: ClientSummary) => `client ${c.clientId} rate_limits: ${describeLimits(c.rateLimits)}`,
    },
    disable: {
      summary: 'refuse a client at the authorization and token endpoints (invalid_client)',
      args: ['client-id'],
      async run({ args }, deps) {
        const id = args['client-id']!;
        const client = (await translated(() => storeOf(deps).setDisabled(id, true))) ?? (await missing(deps, id));
        await record(deps, 'client.disabled', id);
        return client;
      },
      text: (c: ClientSummary) => `client ${c.clientId} disabled`,
    },
    enable: {
      summary: 'accept a disabled client again',
      args: ['client-id'],
      async run({ args }, deps) {
        const id = args['client-id']!;
        const client = (await translated(() => storeOf(deps).setDisabled(id, false))) ?? (await missing(deps, id));
        await record(deps, 'client.enabled', id);
        return client;
      },
      text: (c: ClientSummary) => `client ${c.clientId} enabled`,
    },
    delete: {
      summary: 'delete a client and revoke every grant and token it holds',
      args: ['client-id'],
      async run({ args }, deps) {
        const id = args['client-id']!;
        const existed = await translated(() => storeOf(deps).delete(id));
        if (!existed) throw notFoundError(`no client ${id}`);
        const endings = operatorEndings(deps);
        const consents = await endings.endForClient(id, { status: 'REVOKED', by: 'operator', reason: 'client_deleted', initiator: 'cli' });
        await endings.flush();
        const remaining = await new GrantStore(deps.database.db).revokeForClient(id);
        // Each ended consent took its grant with it.
        const grants = new Set([...consents.map((c) => c.grantId), ...remaining]).size;
        await record(deps, 'client.deleted', id, { grantsRevoked: grants, consentsEnded: consents.length });
        return { clientId: id, deleted: true, grantsRevoked: grants, consentsEnded: consents.length };
      },
      text: (r: { clientId: string; grantsRevoked: number }) => `client ${r.clientId} deleted; ${r.grantsRevoked} grant(s) revoked`,
    },
  },
};
