import { conflictError, notFoundError, table, usageError, type Noun } from '@apps/shared';
import { AuditLog } from '../audit/audit.js';
import { devSigningKeys } from '../keys/dev-keys.js';
import { ACCESS_TOKEN_ALGS, type AccessTokenAlg } from '../keys/jwks.js';
import { KeyCipher } from '../keys/key-cipher.js';
import { KeyNotFoundError, KeyRefusedError, SigningKeyStore, type StoredKey } from '../keys/key-store.js';
import type { OperatorDeps } from './deps.js';
import { parseDuration } from './when.js';

const storeOf = (deps: OperatorDeps) =>
  new SigningKeyStore(deps.database.db, deps.config.keysEncryptionKey === undefined ? undefined : new KeyCipher(deps.config.keysEncryptionKey));

/** `23h 59m`: a wait rounds up, an age down. */
function humanDuration(ms: number, round: (n: number) => number = Math.ceil): string {
  const minutes = round(ms / 60_000);
  const hours = Math.floor(minutes / 60);
  return hours > 0 ? `${hours}h ${minutes % 60}m` : `${minutes}m`;
}

async function translated<T>(op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    if (err instanceof KeyNotFoundError) throw notFoundError(err.message);
    if (err instanceof KeyRefusedError) {
      throw conflictError(err.remainingMs === undefined ? err.message : `${err.message}; possible in ${humanDuration(err.remainingMs)}`);
    }
    throw err;
  }
}

/** A key as the CLI shows it: times as ISO, its age. */
interface KeyView {
  kid: string;
  alg: string;
  source: 'database' | 'env' | 'dev';
  state: string;
  age: string;
  publishedSince: string | null;
  signingFrom: string | null;
  stoppedSigningAt: string | null;
  retiredAt: string | null;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function view(k: StoredKey, now: number): KeyView {
  return {
    kid: k.kid,
    alg: k.alg,
    source: 'database',
    state: k.state,
    age: humanDuration(Math.max(0, now - k.createdAt), Math.floor),
    publishedSince: k.state === 'retired' ? null : iso(k.createdAt),
    signingFrom: iso(k.signingFrom),
    stoppedSigningAt: iso(k.stoppedSigningAt),
    retiredAt: iso(k.retiredAt),
  };
}

const record = (deps: OperatorDeps, type: 'key.generated' | 'key.promoted' | 'key.retired', key: StoredKey) =>
  new AuditLog(deps.database.db, deps.logger).record({ type, actor: 'cli', detail: { kid: key.kid, alg: key.alg } });

const describeKey = (k: KeyView) =>
  `key ${k.kid} (${k.alg}) is ${k.state}${k.signingFrom && k.state === 'next' ? `; signs from ${k.signingFrom}` : ''}`;

export const keysNoun: Noun<OperatorDeps> = {
  summary: 'signing keys: generate, list, promote, retire',
  verbs: {
    generate: {
      summary: 'generate the next signing key: published in the JWKS at once, signs after --promote-after',
      options: {
        alg: { type: 'string', default: 'RS256' },
        'promote-after': { type: 'string', default: '24h' },
        force: { type: 'boolean', default: false },
      },
      optionHelp: {
        alg: 'RS256 (default; ID tokens and access tokens) or ES256 (access tokens)',
        'promote-after': 'how long it is published before it signs (default 24h, the JWKS cache time; below needs --force)',
        force: 'allow --promote-after below 24h',
      },
      async run({ options }, deps) {
        const alg = options.alg as string;
        if (!(ACCESS_TOKEN_ALGS as readonly string[]).includes(alg)) throw usageError(`--alg: expected ${ACCESS_TOKEN_ALGS.join(' or ')}`);
        const after = parseDuration(options['promote-after'] as string, 'promote-after');
        if (after < 24 * 3_600_000 && options.force !== true) {
          throw usageError('--promote-after below 24h lets it sign before verifiers caching the JWKS (Plaid: 24 h) know it; add --force to do it anyway');
        }
        const key = await translated(() => storeOf(deps).generate(alg as AccessTokenAlg, after));
        await record(deps, 'key.generated', key);
        return view(key, Date.now());
      },
      text: describeKey,
    },
    list: {
      summary: 'list signing keys: database keys with their state and age, and the static (env / dev) ones',
      async run(_input, deps) {
        const now = Date.now();
        const stored = (await storeOf(deps).list()).map((k) => view(k, now));
        const source = deps.config.jwks ? 'env' : 'dev';
        const staticKeys = deps.config.jwks ?? (await devSigningKeys(deps.database.db, deps.config.accessTokenSigningAlg));
        const current = new Set(stored.filter((k) => k.state === 'current').map((k) => (k.alg === 'ES256' ? 'EC' : 'RSA')));
        const firstOfType = new Set<string>();
        const statics: KeyView[] = staticKeys.keys.map((k) => {
          const signs = !current.has(k.kty) && !firstOfType.has(k.kty);
          firstOfType.add(k.kty);
          return {
            kid: k.kid,
            alg: k.kty === 'EC' ? 'ES256' : 'RS256',
            source,
            state: signs ? 'current' : 'published',
            age: '',
            publishedSince: null,
            signingFrom: null,
            stoppedSigningAt: null,
            retiredAt: null,
          };
        });
        return [...stored, ...statics];
      },
      text: (rows: KeyView[]) =>
        table(rows as unknown as Record<string, unknown>[], ['kid', 'alg', 'source', 'state', 'age', 'publishedSince', 'signingFrom', 'stoppedSigningAt']),
    },
    promote: {
      summary: 'make a next key sign now (refused within 24 h of its publication unless --force)',
      args: ['kid'],
      options: { force: { type: 'boolean', default: false } },
      optionHelp: { force: 'promote even though verifiers may not have fetched it yet' },
      async run({ args, options }, deps) {
        const key = await translated(() => storeOf(deps).promote(args.kid!, options.force === true));
        await record(deps, 'key.promoted', key);
        return view(key, Date.now());
      },
      text: describeKey,
    },
    retire: {
      summary: 'unpublish a key, at least 24 h after it stopped signing (never the current signer)',
      args: ['kid'],
      async run({ args }, deps) {
        const key = await translated(() => storeOf(deps).retire(args.kid!));
        await record(deps, 'key.retired', key);
        return view(key, Date.now());
      },
      text: describeKey,
    },
  },
};
