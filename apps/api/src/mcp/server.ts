import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { registerAccountTools } from './accounts.js';
import type { McpContext } from './context.js';
import { registerProfileTools } from './profile.js';
import { registerStatementTools } from './statements.js';
import { registerTransactionTools } from './transactions.js';

export const MCP_SERVER_NAME = 'open-finance-bank';

/**
 * The MCP server of one request: its tools close over that request's customer data (already
 * narrowed to the token's customer and consent), so no tool can reach anything else.
 */
export function buildMcpServer(ctx: McpContext, institutionName: string): McpServer {
  const server = new McpServer(
    { name: MCP_SERVER_NAME, title: `${institutionName} (read-only)`, version: '0.1.0' },
    {
      capabilities: { tools: {}, resources: {} },
      instructions:
        `Read-only access to the accounts a customer of ${institutionName} shared with you: balances, transactions, ` +
        'statements and (if granted) their profile. Start with list_accounts. Nothing here can move money or change data.',
    },
  );
  registerProfileTools(server, ctx);
  registerAccountTools(server, ctx);
  registerTransactionTools(server, ctx);
  registerStatementTools(server, ctx);
  return server;
}
