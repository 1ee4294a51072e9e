import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { Scope } from '../auth/bearer.js';
import { guarded, READ_ONLY, structured, type McpContext } from './context.js';

/** who_am_i: the customer and what this connection may see. */
export function registerProfileTools(server: McpServer, ctx: McpContext): void {
  server.registerTool(
    'who_am_i',
    {
      title: 'Who am I',
      description:
        'The bank customer this assistant acts for, what the customer granted (scopes, which accounts), and, ' +
        "when the customer shared their profile (customers:read), the holders' names and contact details of a shared account.",
      inputSchema: {},
      outputSchema: {
        customerId: z.string(),
        scopes: z.array(z.string()),
        accounts: z.enum(['all', 'selected']),
        consentId: z.string().optional(),
        contact: z.record(z.string(), z.unknown()).optional(),
      },
      annotations: READ_ONLY,
    },
    guarded(ctx, 'who_am_i', async () => {
      const { token } = ctx;
      let contact: Record<string, unknown> | undefined;
      if (token.scopes.has(Scope.customer)) {
        const page = await ctx.data.accounts({ limit: 50 });
        for (const descriptor of page.items) {
          if (descriptor.status !== 'OPEN') continue;
          const account = await ctx.data.account(descriptor.id);
          if (!account) continue;
          contact = await ctx.data.contact(account);
          break;
        }
      }
      return structured({
        customerId: token.sub,
        scopes: [...token.scopes].filter((s) => s !== 'openid' && s !== 'offline_access').sort(),
        accounts: token.accountIds ? ('selected' as const) : ('all' as const),
        ...(token.consentId === undefined ? {} : { consentId: token.consentId }),
        ...(contact === undefined ? {} : { contact }),
      });
    }),
  );
}
