// Mutual TLS behind Caddy (RFC 8705): Caddy terminates TLS, asks for a client certificate on the
// sites that take one, and passes it on in one header (DER, base64). Only Caddy may set that
// header: it overwrites it on those sites and deletes it on the others, and the services accept it
// only from the proxy's address (they bind loopback; TRUSTED_PROXIES for other topologies).
import { X509Certificate, hash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { RequestHandler } from 'express';
import { z } from 'zod';

export const CLIENT_CERT_HEADER = 'x-client-cert';

/** TRUSTED_PROXIES: comma-separated IP addresses whose client-certificate header is believed. */
export const trustedProxies = z
  .string()
  .default('127.0.0.1,::1')
  .transform((s) => new Set(s.split(',').map((a) => a.trim()).filter(Boolean).map(normalizeAddress)));

function normalizeAddress(address: string): string {
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

/** Whether the header came from the proxy: the connection's peer is one of the trusted addresses. */
export function fromTrustedProxy(req: IncomingMessage, trusted: ReadonlySet<string>): boolean {
  const peer = req.socket.remoteAddress;
  return peer !== undefined && trusted.has(normalizeAddress(peer));
}

/**
 * The client certificate the proxy passed on, if any. An empty header (no certificate was
 * presented) and a value that is not a DER certificate both count as none.
 */
export function clientCertificate(req: IncomingMessage): X509Certificate | undefined {
  const value = req.headers[CLIENT_CERT_HEADER];
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  try {
    return new X509Certificate(Buffer.from(value.trim(), 'base64'));
  } catch {
    return undefined;
  }
}

/** RFC 8705 `x5t#S256`: the base64url SHA-256 of the certificate's DER. */
export function certificateThumbprint(cert: X509Certificate): string {
  return hash('sha256', cert.raw, 'base64url');
}

/**
 * Refuses (400) a request that carries the client-certificate header but did not come from the
 * proxy: someone reaching the service directly must not be able to claim a certificate.
 */
export function refuseUntrustedCertificateHeader(
  trusted: ReadonlySet<string>,
  refuse: (res: Parameters<RequestHandler>[1]) => void,
): RequestHandler {
  return (req, res, next) => {
    if (req.headers[CLIENT_CERT_HEADER] === undefined || fromTrustedProxy(req, trusted)) return next();
    refuse(res);
  };
}
