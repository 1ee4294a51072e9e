// RFC 8705 for oidc-provider behind Caddy: client authentication with a certificate
// (`tls_client_auth`: issued by a CA the operator trusts, subject registered; `self_signed_tls_client_auth`:
// the certificate itself registered in the client's jwks) and certificate-bound access tokens
// (`cnf.x5t#S256`). The certificate reaches us in the header Caddy sets on the mTLS site only.
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { clientCertificate } from '@apps/shared';
import type { Configuration, KoaContextWithOIDC } from 'oidc-provider';

type MtlsFeature = NonNullable<NonNullable<Configuration['features']>['mTLS']>;

/** The endpoints a certificate can be presented at, served on the mTLS origin (RFC 8705 § 5). */
const ALIASED = {
  token_endpoint: '/token',
  revocation_endpoint: '/token/revocation',
  introspection_endpoint: '/token/introspection',
  pushed_authorization_request_endpoint: '/request',
  userinfo_endpoint: '/me',
} as const;

export function mtlsEndpointAliases(mtlsUrl: string): Record<keyof typeof ALIASED, string> {
  return Object.fromEntries(Object.entries(ALIASED).map(([name, path]) => [name, `${mtlsUrl}${path}`])) as Record<keyof typeof ALIASED, string>;
}

/** The CA certificates of MTLS_CA_FILE (PEM, one or more), for `tls_client_auth`. */
export function readCaFile(path: string | undefined): X509Certificate[] {
  if (!path) return [];
  const pem = readFileSync(path, 'utf8');
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new Error(`MTLS_CA_FILE ${path}: no PEM certificate found`);
  return blocks.map((block) => new X509Certificate(block));
}

function certificateOf(ctx: KoaContextWithOIDC): X509Certificate | undefined {
  return clientCertificate(ctx.req);
}

/** Issued (and signed) by one of the trusted CAs, and valid now. One level: the client's CA itself is configured. */
export function issuedByTrustedCa(cert: X509Certificate, cas: readonly X509Certificate[], now = Date.now()): boolean {
  if (now < Date.parse(cert.validFrom) || now > Date.parse(cert.validTo)) return false;
  return cas.some((ca) => cert.checkIssued(ca) && cert.verify(ca.publicKey));
}

/** A distinguished name as a set of `type=value` pairs, whichever order and separator it was written with. */
function dnParts(dn: string): string[] {
  return dn
    .split(/[\n,]/)
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const eq = part.indexOf('=');
      return `${part.slice(0, eq).trim().toUpperCase()}=${part.slice(eq + 1).trim()}`;
    })
    .sort();
}

const SAN_PREFIX: Record<string, string> = {
  tls_client_auth_san_dns: 'DNS:',
  tls_client_auth_san_uri: 'URI:',
  tls_client_auth_san_ip: 'IP Address:',
  tls_client_auth_san_email: 'email:',
};

export function subjectMatches(cert: X509Certificate, property: string, expected: string): boolean {
  if (property === 'tls_client_auth_subject_dn') {
    const want = dnParts(expected);
    const have = dnParts(cert.subject);
    return want.length === have.length && want.every((part, i) => part === have[i]);
  }
  const prefix = SAN_PREFIX[property];
  if (!prefix || !cert.subjectAltName) return false;
  return cert.subjectAltName.split(', ').some((entry) => entry === `${prefix}${expected}`);
}

/** oidc-provider's `features.mTLS`: every RFC 8705 method on, each client opts in by its metadata. */
export function mtlsFeature(cas: readonly X509Certificate[]): MtlsFeature {
  return {
    enabled: true,
    certificateBoundAccessTokens: true,
    selfSignedTlsClientAuth: true,
    tlsClientAuth: true,
    getCertificate: (ctx) => certificateOf(ctx),
    certificateAuthorized: (ctx) => {
      const cert = certificateOf(ctx);
      return cert !== undefined && issuedByTrustedCa(cert, cas);
    },
    certificateSubjectMatches: (ctx, property, expected) => {
      const cert = certificateOf(ctx);
      return cert !== undefined && subjectMatches(cert, property, expected);
    },
  };
}
