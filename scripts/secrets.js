#!/usr/bin/env node
// `pnpm secrets <command>`: fresh production secrets, printed in .env form (never written
// anywhere, never logged). Paste them into the service's environment or secret store.
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';

const USAGE = `Usage: pnpm secrets <command> [options]

Commands:
  client [--prefix <p>]  CLIENT_ID and CLIENT_SECRET for a relying party (apps/app, a partner)
  secrets                CLIENT_SECRET and COOKIE_SECRET
  jwks [--es256]         JWKS: the OP's RS256 signing key (2048-bit private JWK set, unique kid);
                         --es256 adds an EC P-256 key for ACCESS_TOKEN_SIGNING_ALG=ES256
  all [--es256]          everything above
  --help, -h             this help

Formats:
  CLIENT_ID      32 URL-safe characters, or <prefix> + 24 (prefix: 1-32 of A-Z a-z 0-9 . _ -)
  CLIENT_SECRET  64 hex characters (256 bits)
  COOKIE_SECRET  64 hex characters (256 bits); use a different one per service
  JWKS           one line of JSON: JWKS='{"keys":[...]}'

Example: pnpm secrets client --prefix acme- >> apps/app/.env`;

const PREFIX = /^[A-Za-z0-9._-]{1,32}$/;

class UsageError extends Error {}

/** `length` characters from the URL-safe alphabet (A-Z a-z 0-9 - _), uniformly. */
function urlSafe(length) {
  // base64url maps every 6 bits to one of 64 characters: no modulo bias.
  return randomBytes(Math.ceil((length * 3) / 4))
    .toString('base64url')
    .slice(0, length);
}

const hex256 = () => randomBytes(32).toString('hex');

function clientId(prefix) {
  if (prefix === undefined) return urlSafe(32);
  if (!PREFIX.test(prefix)) {
    throw new UsageError(`invalid --prefix "${prefix}": use 1-32 characters from A-Z a-z 0-9 . _ -`);
  }
  return prefix + urlSafe(24);
}

/** kid = the key's RFC 7638 thumbprint: unique per key, and stable if the key is re-imported. */
function thumbprint(jwk) {
  const members = jwk.kty === 'EC' ? { crv: jwk.crv, kty: 'EC', x: jwk.x, y: jwk.y } : { e: jwk.e, kty: 'RSA', n: jwk.n };
  return createHash('sha256').update(JSON.stringify(members)).digest('base64url');
}

function signingKey(type, options, alg) {
  const jwk = generateKeyPairSync(type, options).privateKey.export({ format: 'jwk' });
  return { ...jwk, kid: thumbprint(jwk), use: 'sig', alg };
}

/** The RSA key signs ID tokens (and access tokens by default); the EC key, ES256 access tokens. */
function jwks(es256) {
  const rsa = signingKey('rsa', { modulusLength: 2048, publicExponent: 0x10001 }, 'RS256');
  return { keys: es256 ? [rsa, signingKey('ec', { namedCurve: 'P-256' }, 'ES256')] : [rsa] };
}

/** Single quotes keep the JSON intact for dotenv and for shells (JWK values never contain a quote). */
const jwksLine = (es256) => `JWKS='${JSON.stringify(jwks(es256))}'`;

function parseArgs(argv) {
  const [command, ...rest] = argv;
  const options = {};
  for (let i = 0; i < rest.length; i += 1) {
    const arg = rest[i];
    if (command === 'client' && (arg === '--prefix' || arg.startsWith('--prefix='))) {
      const value = arg === '--prefix' ? rest[++i] : arg.slice('--prefix='.length);
      if (value === undefined || value === '') throw new UsageError('--prefix needs a value');
      options.prefix = value;
    } else if ((command === 'jwks' || command === 'all') && arg === '--es256') {
      options.es256 = true;
    } else {
      throw new UsageError(`unknown option "${arg}" for "${command}"`);
    }
  }
  return { command, options };
}

function run(argv) {
  if (argv.some((a) => a === '--help' || a === '-h') || argv[0] === 'help') return USAGE;
  if (argv.length === 0) throw new UsageError('missing command (client, secrets, jwks or all)');
  const { command, options } = parseArgs(argv);
  switch (command) {
    case 'client':
      return [`CLIENT_ID=${clientId(options.prefix)}`, `CLIENT_SECRET=${hex256()}`].join('\n');
    case 'secrets':
      return [`CLIENT_SECRET=${hex256()}`, `COOKIE_SECRET=${hex256()}`].join('\n');
    case 'jwks':
      return jwksLine(options.es256);
    case 'all':
      return [`CLIENT_ID=${clientId()}`, `CLIENT_SECRET=${hex256()}`, `COOKIE_SECRET=${hex256()}`, jwksLine(options.es256)].join('\n');
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

try {
  process.stdout.write(`${run(process.argv.slice(2))}\n`);
} catch (err) {
  if (!(err instanceof UsageError)) throw err;
  process.stderr.write(`secrets: ${err.message}\nRun "pnpm secrets --help" for usage.\n`);
  process.exit(2);
}
