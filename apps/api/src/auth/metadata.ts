import { Router } from 'express';
import { Scope } from './bearer.js';

export const RESOURCE_METADATA_PATH = '/.well-known/oauth-protected-resource';
/** RFC 9728 §3.1: the metadata of the resource `<API_URL>/mcp` lives at the well-known path followed by `/mcp`. */
export const MCP_RESOURCE_METADATA_PATH = `${RESOURCE_METADATA_PATH}/mcp`;

export interface ResourceMetadataOptions {
  /** The API's public base URL (the RFC 9728 resource identifier). */
  resource: string;
  issuer: string;
  /** The MCP server's resource identifier (`<API_URL>/mcp`), described at MCP_RESOURCE_METADATA_PATH. */
  mcpResource: string;
}

/** RFC 9728 protected resource metadata: tells generic OAuth clients which OP issues tokens for us. */
export function resourceMetadataRoute(options: ResourceMetadataOptions): Router {
  const router = Router();
  const body = {
    resource: options.resource,
    authorization_servers: [options.issuer],
    scopes_supported: Object.values(Scope),
    bearer_methods_supported: ['header'],
    resource_name: 'FDX v6.3 Core Exchange API',
  };
  const mcpBody = { ...body, resource: options.mcpResource, resource_name: 'Bank accounts for AI assistants (MCP, read-only)' };
  router.get(RESOURCE_METADATA_PATH, (_req, res) => {
    res.json(body);
  });
  router.get(MCP_RESOURCE_METADATA_PATH, (_req, res) => {
    res.json(mcpBody);
  });
  return router;
}
