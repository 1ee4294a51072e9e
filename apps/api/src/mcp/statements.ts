import { ResourceTemplate, type McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { Scope } from '../auth/bearer.js';
import { historyStart, isoDate } from '../dates.js';
import { FdxError } from '../errors.js';
import { findAccount, guarded, READ_ONLY, requireScope, structured, ToolError, type McpContext } from './context.js';

/** A statement's document, read with resources/read. */
export const STATEMENT_URI_TEMPLATE = 'bank://accounts/{accountId}/statements/{statementId}';
export const statementUri = (accountId: string, statementId: string) =>
  `bank://accounts/${encodeURIComponent(accountId)}/statements/${encodeURIComponent(statementId)}`;

const MAX_STATEMENTS = 24;
const MAX_ID_LENGTH = 256;

const statementOut = z.object({
  statementId: z.string(),
  statementDate: z.string(),
  periodStart: z.string(),
  periodEnd: z.string(),
  openingBalance: z.number(),
  closingBalance: z.number(),
  uri: z.string(),
});

/** list_statements, and each statement's PDF as a resource (bank://accounts/{accountId}/statements/{statementId}). */
export function registerStatementTools(server: McpServer, ctx: McpContext): void {
  server.registerTool(
    'list_statements',
    {
      title: 'List statements',
      description:
        "One shared account's statements, newest first (up to the last 24). Each has a `uri`: read it as an MCP resource " +
        'to download the statement PDF.',
      inputSchema: { accountId: z.string().min(1).max(256).describe('An accountId from list_accounts') },
      outputSchema: { accountId: z.string(), currency: z.string(), statements: z.array(statementOut) },
      annotations: READ_ONLY,
    },
    guarded(ctx, 'list_statements', async ({ accountId }: { accountId: string }) => {
      requireScope(ctx, Scope.account);
      const account = await findAccount(ctx, accountId, { active: true });
      const today = ctx.now();
      const page = await ctx.data.statements(account, { from: isoDate(historyStart(today)), to: isoDate(today) }, { limit: MAX_STATEMENTS });
      const statements = page.items.map((s) => ({
        statementId: s.id,
        statementDate: s.statementDate,
        periodStart: s.periodStart,
        periodEnd: s.periodEnd,
        openingBalance: s.openingBalance,
        closingBalance: s.closingBalance,
        uri: statementUri(account.id, s.id),
      }));
      const result = structured({ accountId: account.id, currency: account.currency, statements });
      for (const s of statements) {
        result.content.push({ type: 'resource_link', uri: s.uri, name: `${s.statementId}.pdf`, mimeType: 'application/pdf' });
      }
      return result;
    }),
  );

  server.registerResource(
    'statement',
    new ResourceTemplate(STATEMENT_URI_TEMPLATE, { list: undefined }),
    { title: 'Account statement', description: 'A statement document (PDF) of a shared account', mimeType: 'application/pdf' },
    async (uri, variables) => {
      const one = (value: string | string[] | undefined) => (typeof value === 'string' ? decodeURIComponent(value) : '');
      try {
        requireScope(ctx, Scope.account);
        const account = await findAccount(ctx, one(variables.accountId), { active: true });
        const statementId = one(variables.statementId);
        const found = statementId.length <= MAX_ID_LENGTH ? await ctx.data.statement(account, statementId) : undefined;
        if (!found) throw new ToolError(`No statement "${statementId}" on account "${account.id}". Call list_statements for its statements.`);
        const document = await ctx.data.statementDocument(account, found);
        return {
          contents: [{ uri: uri.href, mimeType: document.contentType, blob: Buffer.from(document.content).toString('base64') }],
        };
      } catch (err) {
        if (err instanceof ToolError) throw new McpError(ErrorCode.InvalidParams, err.message);
        if (err instanceof FdxError) throw new McpError(ErrorCode.InvalidParams, err.debugMessage ?? err.message);
        ctx.logger.error({ err }, 'MCP statement resource failed');
        throw new McpError(ErrorCode.InternalError, 'The statement could not be read; try again later.');
      }
    },
  );
}
