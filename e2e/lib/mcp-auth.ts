import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';

/**
 * The storage half of the MCP SDK's OAuthClientProvider, in memory: tokens, the PKCE verifier and
 * the authorization URL the SDK would open in a browser (the tests open it in Chromium or a scripted
 * user agent). Subclasses say who the client is (redirect URI, metadata, registration).
 */
export abstract class MemoryOAuthProvider implements OAuthClientProvider {
  saved: OAuthTokens | undefined;
  verifier = '';
  authorizationUrl: URL | undefined;
  abstract get redirectUrl(): string;
  abstract get clientMetadata(): OAuthClientMetadata;
  abstract clientInformation(): OAuthClientInformationMixed | undefined;
  tokens() {
    return this.saved;
  }
  saveTokens(tokens: OAuthTokens) {
    this.saved = tokens;
  }
  redirectToAuthorization(url: URL) {
    this.authorizationUrl = url;
  }
  saveCodeVerifier(verifier: string) {
    this.verifier = verifier;
  }
  codeVerifier() {
    return this.verifier;
  }
}
