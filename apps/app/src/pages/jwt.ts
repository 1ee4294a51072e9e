export interface DecodedJwt {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
}

/** Display only: the API verifies signatures; here we just show what the token says. */
export function decodeJwt(token: string): DecodedJwt | undefined {
  const [header, payload] = token.split('.');
  if (!header || !payload) return undefined;
  try {
    return {
      header: JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as Record<string, unknown>,
      payload: JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>,
    };
  } catch {
    return undefined;
  }
}

export function remainingSeconds(exp: unknown): number | undefined {
  return typeof exp === 'number' ? Math.max(0, exp - Math.floor(Date.now() / 1000)) : undefined;
}
