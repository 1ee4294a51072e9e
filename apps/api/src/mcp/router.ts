import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { Logger } from '@apps/shared';
import { Router } from 'express';
import { requireToken, tokenOf } from '../auth/bearer.js';
import type { TokenVerifier } from '../auth/verifier.js';
import type { EndedConsents } from '../consent/revocations.js';
import { customerDataFor } from '../consent/selected-accounts.js';
import type { FdxDataSource } from '../data-source.js';
import type { CursorCodec } from '../fdx/cursor.js';
import type { rateLimit } from '../fdx/rate-limit.js';
import { buildMcpServer } from './server.js';

export const MCP_PATH = '/mcp';

export interface McpRouterOptions {
  dataSource: FdxDataSource;
  /** Verifies tokens issued for the MCP resource (audience `<API_URL>/mcp`) only. */
  verify: TokenVerifier;
  ended: EndedConsents;
  /** `<API_URL>/.well-known/oauth-protected-resource/mcp`, named in every 401 challenge. */
  resourceMetadataUrl: string;
  rateLimit?: ReturnType<typeof rateLimit>;
  cursors: CursorCodec;
  now: () => number;
  logger: Logger;
  institutionName: string;
}

const methodNotAllowed = { jsonrpc: '2.0', error: { code: -32000, message: 'Method not allowed: this server is stateless, POST JSON-RPC messages' }, id: null };

/**
 * The MCP endpoint (Streamable HTTP, stateless: every POST stands alone, so any API instance
 * answers it). The bearer token is checked like the FDX routes' (same challenges, same ended
 * consents), but only a token issued for the MCP resource passes.
 */
export function mcpRouter(options: McpRouterOptions): Router {
  const router = Router();
  router.use(requireToken({ verify: options.verify, ended: options.ended, resourceMetadataUrl: options.resourceMetadataUrl }));
  if (options.rateLimit) router.use(options.rateLimit.afterToken, options.rateLimit.afterTokenError);
  router.post('/', async (req, res) => {
    const token = tokenOf(res);
    const server = buildMcpServer(
      { data: customerDataFor(options.dataSource, token), token, cursors: options.cursors, now: options.now, logger: options.logger },
      options.institutionName,
    );
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, req.body);
  });
  router.all('/', (_req, res) => {
    res.status(405).set('Allow', 'POST').json(methodNotAllowed);
  });
  return router;
}
