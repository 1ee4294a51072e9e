import type { KoaContextWithOIDC } from 'oidc-provider';

/**
 * The API's MCP server (`MCP_RESOURCE`, `<API_URL>/mcp`) as a second resource server: an AI
 * assistant asks for it with `resource` (RFC 8707) and gets a token whose audience is the MCP
 * resource alone, with the same FDX scopes and consent as any client. The MCP authorization spec
 * requires PKCE S256 for it, whatever the client's own PKCE policy says.
 */
export function requestsMcpResource(ctx: KoaContextWithOIDC, mcpResource: string): boolean {
  const resource: unknown = ctx.oidc.params?.resource;
  return Array.isArray(resource) ? resource.includes(mcpResource) : resource === mcpResource;
}
