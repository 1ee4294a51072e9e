// A stand-in for the OP's internal consent endpoints (CONSENT-CONTRACT §3 and §5), serving an
// in-memory list over real HTTP, so the API is tested and measured without an OP: the change feed
// the API polls and the backend of the API's FDX consent routes. Behind INTERNAL_SECRET like the
// real ones. It can be taken down (connections refused) and brought back on the same port.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type ConsentStatus = 'ACTIVE' | 'REVOKED' | 'EXPIRED';

export interface StandInConsent {
  id: string;
  clientId: string;
  status: ConsentStatus;
  accountIds: string[] | null;
  createdTime: string;
  updatedTime: string;
  expirationTime: string;
  revocations: Array<{ status: 'REVOKED'; reason: string; initiator: string; updatedTime: string }>;
}

export interface FeedChange {
  seq: number;
  consentId: string;
  status: 'REVOKED' | 'EXPIRED';
  at: string;
}

export interface OpConsentsStandIn {
  /** Base URL to configure as the API's OP_INTERNAL_URL. */
  url: string;
  secret: string;
  consents: Map<string, StandInConsent>;
  changes: FeedChange[];
  /** Requests to the feed so far. */
  feedRequests: number;
  /** Adds an ACTIVE consent held by `clientId`. */
  add(consent: { id: string; clientId: string; accountIds?: string[] | null }): StandInConsent;
  /** Ends a consent (by the customer, an operator, expiry…) and appends the change to the feed. */
  end(consentId: string, status?: 'REVOKED' | 'EXPIRED', at?: Date): FeedChange;
  /** Refuses connections until `up()`. */
  down(): Promise<void>;
  /** Answers every request with this status until set back to undefined (an OP that is up but failing). */
  failWith: number | undefined;
  up(): Promise<void>;
  close(): Promise<void>;
}

const REASONS = ['BUSINESS_RULE', 'USER_ACTION'];
const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
};

function readBody(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch {
        resolve(undefined);
      }
    });
  });
}

/** The FDX ConsentGrant the OP would answer with (§5), from the stand-in's record. */
export function consentGrant(consent: StandInConsent): Record<string, unknown> {
  return {
    id: consent.id,
    status: consent.status,
    parties: [
      { name: `Recipient ${consent.clientId}`, type: 'DATA_RECIPIENT', homeUri: 'https://recipient.example' },
      { name: 'Open Finance Demo Bank', type: 'DATA_PROVIDER' },
    ],
    createdTime: consent.createdTime,
    updatedTime: consent.updatedTime,
    expirationTime: consent.expirationTime,
    durationType: 'TIME_BOUND',
    durationPeriod: 365,
    resources: (consent.accountIds ?? []).map((id) => ({ resourceType: 'ACCOUNT', resourceId: id, dataClusters: ['ACCOUNT_DETAILED', 'TRANSACTIONS'] })),
  };
}

export async function startOpConsents(options: { secret: string; relevanceMs?: number }): Promise<OpConsentsStandIn> {
  const relevanceMs = options.relevanceMs ?? 3600_000 + 60_000;
  const consents = new Map<string, StandInConsent>();
  const changes: FeedChange[] = [];
  let seq = 0;
  const state: { feedRequests: number; failWith: number | undefined } = { feedRequests: 0, failWith: undefined };

  const end = (consentId: string, status: 'REVOKED' | 'EXPIRED' = 'REVOKED', at = new Date()): FeedChange => {
    const consent = consents.get(consentId);
    if (consent) {
      consent.status = status;
      consent.updatedTime = at.toISOString();
    }
    const change = { seq: ++seq, consentId, status, at: at.toISOString() };
    changes.push(change);
    return change;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const feed = req.method === 'GET' && url.pathname === '/internal/v1/consents/changes';
    if (feed) state.feedRequests++;
    if (state.failWith !== undefined) return json(res, state.failWith, { error: 'server_error' });
    if (req.headers.authorization !== `Bearer ${options.secret}`) return json(res, 401, { error: 'unauthorized' });
    if (feed) {
      const limit = Math.min(Number(url.searchParams.get('limit') ?? 1000), 1000);
      const after = url.searchParams.get('after');
      if (after === null) {
        // The still-relevant changes; a full page ends at its last seq, so the caller reads on from there.
        const since = Date.now() - relevanceMs;
        const page = changes.filter((c) => Date.parse(c.at) > since).slice(0, limit);
        return json(res, 200, { changes: page, next: page.length === limit ? page.at(-1)!.seq : seq });
      }
      const page = changes.filter((c) => c.seq > Number(after)).slice(0, limit);
      return json(res, 200, { changes: page, next: page.at(-1)?.seq ?? Number(after) });
    }
    const match = /^\/internal\/v1\/consents\/([^/]+)(\/revocation)?$/.exec(url.pathname);
    if (!match) return json(res, 404, { error: 'not_found' });
    const consent = consents.get(decodeURIComponent(match[1]!));
    const revocation = match[2] !== undefined;
    if (req.method === 'PUT' && revocation) {
      const body = (await readBody(req)) as Record<string, unknown> | undefined;
      if (typeof body?.clientId !== 'string') return json(res, 400, { error: 'invalid_request', field: 'clientId' });
      if (!REASONS.includes(body.reason as string)) return json(res, 400, { error: 'invalid_request', field: 'reason' });
      if (typeof body.initiator !== 'string' || body.initiator.length > 256) return json(res, 400, { error: 'invalid_request', field: 'initiator' });
      if (!consent || consent.clientId !== body.clientId) return json(res, 404, { error: 'not_found' });
      if (consent.status === 'ACTIVE') {
        end(consent.id);
        consent.revocations.push({ status: 'REVOKED', reason: body.reason as string, initiator: body.initiator, updatedTime: consent.updatedTime });
      }
      return json(res, 200, { consent: consentGrant(consent) });
    }
    if (req.method !== 'GET') return json(res, 404, { error: 'not_found' });
    if (!consent || consent.clientId !== url.searchParams.get('clientId')) return json(res, 404, { error: 'not_found' });
    return json(res, 200, revocation ? { revocations: consent.revocations } : { consent: consentGrant(consent) });
  };

  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  const up = async () => {
    if (server) return;
    const s = createServer((req, res) => void handle(req, res));
    s.on('connection', (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, '127.0.0.1', resolve);
    });
    port = (s.address() as AddressInfo).port;
    server = s;
  };
  const down = async () => {
    const s = server;
    if (!s) return;
    server = undefined;
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  };
  await up();

  return {
    url: `http://127.0.0.1:${port}`,
    secret: options.secret,
    consents,
    changes,
    get feedRequests() {
      return state.feedRequests;
    },
    get failWith() {
      return state.failWith;
    },
    set failWith(status: number | undefined) {
      state.failWith = status;
    },
    add({ id, clientId, accountIds = null }) {
      const now = new Date().toISOString();
      const consent: StandInConsent = {
        id,
        clientId,
        status: 'ACTIVE',
        accountIds,
        createdTime: now,
        updatedTime: now,
        expirationTime: new Date(Date.now() + 365 * 86_400_000).toISOString(),
        revocations: [],
      };
      consents.set(id, consent);
      return consent;
    },
    end,
    down,
    up,
    close: down,
  };
}
