/** What the app keeps per browser session, server-side and encrypted. Never sent to the browser. */
export interface TokenSet {
  accessToken: string;
  idToken: string;
  refreshToken?: string | undefined;
  tokenType: string;
  /** Epoch seconds. */
  accessTokenExpiresAt?: number | undefined;
  scope?: string | undefined;
  idTokenClaims: Record<string, unknown>;
  obtainedAt: number;
  refreshedAt?: number | undefined;
}

export interface PendingLogin {
  state: string;
  nonce: string;
  codeVerifier: string;
  returnTo: string;
}

export interface SessionData {
  csrf: string;
  pending?: PendingLogin | undefined;
  tokens?: TokenSet | undefined;
}
