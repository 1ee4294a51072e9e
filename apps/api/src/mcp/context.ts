import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from '@apps/shared';
import type { AccessToken } from '../auth/verifier.js';
import type { Account, CustomerData } from '../data-source.js';
import { DataSourceUnavailableError, UnsupportedOperationError } from '../data-source.js';
import { FdxError } from '../errors.js';
import type { CursorCodec } from '../fdx/cursor.js';

/** What every tool of one request reads: the token's customer, narrowed to its consent's accounts. */
export interface McpContext {
  /** customerDataFor(source, token): the same scoping as the FDX routes. */
  data: CustomerData;
  token: AccessToken;
  cursors: CursorCodec;
  now: () => number;
  logger: Logger;
}

/** A tool refusal with a message meant for the model (and the person behind it). */
export class ToolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ToolError';
  }
}

export function requireScope(ctx: McpContext, scope: string): void {
  if (!ctx.token.scopes.has(scope)) throw new ToolError(`The customer did not grant the "${scope}" scope to this assistant.`);
}

const MAX_ID_LENGTH = 256;

/** The token customer's (selected) account, or a tool error that does not tell a foreign account from a missing one. */
export async function findAccount(ctx: McpContext, accountId: string, options: { active: boolean }): Promise<Account> {
  const account = accountId.length <= MAX_ID_LENGTH ? await ctx.data.account(accountId) : undefined;
  if (!account) throw new ToolError(`No account "${accountId}" is shared with this assistant. Call list_accounts for the shared accounts.`);
  if (options.active && account.status === 'CLOSED') throw new ToolError(`Account "${accountId}" is closed: its transactions and statements are not available.`);
  if (options.active && account.status === 'RESTRICTED') throw new ToolError(`Account "${accountId}" is restricted: its transactions and statements are not available.`);
  return account;
}

/** A structured result, with the same JSON as text for clients that ignore structuredContent. */
export function structured<T extends Record<string, unknown>>(value: T): CallToolResult & { structuredContent: T } {
  return { content: [{ type: 'text', text: JSON.stringify(value) }], structuredContent: value };
}

const toolError = (message: string): CallToolResult => ({ isError: true, content: [{ type: 'text', text: message }] });

/** The message an error becomes in a tool result: ours verbatim, FDX errors by their message, anything else generic (logged). */
function messageOf(err: unknown, logger: Logger, tool: string): string {
  if (err instanceof ToolError) return err.message;
  if (err instanceof FdxError) return err.debugMessage ?? err.message;
  if (err instanceof DataSourceUnavailableError) return "The bank's data service is unavailable right now; try again in a moment.";
  if (err instanceof UnsupportedOperationError) return 'This bank does not offer that information.';
  logger.error({ err, tool }, 'MCP tool failed');
  return 'The request failed on the server; try again later.';
}

/** Runs a tool body and turns any failure into an MCP tool error (isError), never a stack trace. */
export function guarded<A extends unknown[]>(ctx: McpContext, tool: string, body: (...args: A) => Promise<CallToolResult>): (...args: A) => Promise<CallToolResult> {
  return async (...args) => {
    try {
      return await body(...args);
    } catch (err) {
      return toolError(messageOf(err, ctx.logger, tool));
    }
  };
}

/** Every tool here only reads. */
export const READ_ONLY = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false } as const;
