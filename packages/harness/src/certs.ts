// Throwaway X.509 material for TLS tests, made with the openssl CLI in a temporary folder: a CA,
// client certificates it issues and self-signed ones (RFC 8705's two methods), and server
// certificates for test HTTPS origins (e.g. an agent's client ID metadata documents).
import { spawnSync } from 'node:child_process';
import { createPublicKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClientCertificate } from './http.js';

export interface IssuedCertificate extends ClientCertificate {
  /** The certificate as Node parses it (subject, raw DER, …). */
  x509: X509Certificate;
}

function openssl(args: string[], cwd: string): void {
  const run = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`openssl ${args[0]} failed: ${run.stderr || run.error?.message}`);
}

const read = (dir: string, file: string) => readFileSync(join(dir, file), 'utf8');

/** `-subj` form of a DN given as `CN=a,O=b`. */
const subj = (dn: string) => `/${dn.split(',').map((p) => p.trim()).join('/')}`;

export class TestCertificates {
  private readonly dir = mkdtempSync(join(tmpdir(), 'kit-certs-'));
  private serial = 1;
  /** The CA's certificate (PEM): what the OP trusts for tls_client_auth (MTLS_CA_FILE). */
  readonly caPem: string;
  readonly caFile: string;

  constructor(caSubject = 'CN=Kit Test Client CA,O=Kit Tests') {
    openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2', '-subj', subj(caSubject), '-keyout', 'ca.key', '-out', 'ca.pem'], this.dir);
    this.caPem = read(this.dir, 'ca.pem');
    this.caFile = join(this.dir, 'ca.pem');
  }

  /** A client certificate issued by this CA for `dn` (e.g. `CN=plaid,O=Aggregator`). */
  issue(dn: string): IssuedCertificate {
    const name = `c${this.serial++}`;
    openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', subj(dn), '-keyout', `${name}.key`, '-out', `${name}.csr`], this.dir);
    writeFileSync(join(this.dir, `${name}.ext`), 'extendedKeyUsage=clientAuth\n');
    openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', String(this.serial), '-days', '1', '-extfile', `${name}.ext`, '-out', `${name}.pem`], this.dir);
    return this.load(name);
  }

  /** A server certificate issued by this CA for `hostnames` (DNS names or IP addresses), e.g. `['localhost', '127.0.0.1']`. */
  issueServer(hostnames: string[]): IssuedCertificate {
    const name = `h${this.serial++}`;
    const san = hostnames.map((h) => (/^[\d.]+$|:/.test(h) ? `IP:${h}` : `DNS:${h}`)).join(',');
    openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', subj(`CN=${hostnames[0]}`), '-keyout', `${name}.key`, '-out', `${name}.csr`], this.dir);
    writeFileSync(join(this.dir, `${name}.ext`), `extendedKeyUsage=serverAuth\nsubjectAltName=${san}\n`);
    openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', String(this.serial), '-days', '1', '-extfile', `${name}.ext`, '-out', `${name}.pem`], this.dir);
    return this.load(name);
  }

  /** A self-signed client certificate for `dn` (self_signed_tls_client_auth). */
  selfSigned(dn: string): IssuedCertificate {
    const name = `s${this.serial++}`;
    openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', subj(dn), '-keyout', `${name}.key`, '-out', `${name}.pem`], this.dir);
    return this.load(name);
  }

  private load(name: string): IssuedCertificate {
    const cert = read(this.dir, `${name}.pem`);
    return { cert, key: read(this.dir, `${name}.key`), x509: new X509Certificate(cert) };
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The certificate's public key as a JWK with its `x5c`: how a self_signed_tls_client_auth client registers it. */
export function certificateJwk(cert: IssuedCertificate): Record<string, unknown> {
  return { ...createPublicKey(cert.cert).export({ format: 'jwk' }), x5c: [cert.x509.raw.toString('base64')] };
}
