import { Router } from 'express';
import { z } from 'zod';
import { AppError } from '@apps/shared';
import { accountChoices, ENDPOINTS, endpointById, type AccountChoice } from '../fdx/endpoints.js';
import { callApi, fdxErrorMessage, type ApiResult } from '../fdx/client.js';
import { requireLogin, tokenAccess, type PageDeps } from './context.js';

const text = (max: number) => z.string().trim().max(max).optional().transform((v) => v || undefined);
const date = z
  .string()
  .trim()
  .regex(/^(\d{4}-\d{2}-\d{2})?$/, 'must be a date (YYYY-MM-DD)')
  .optional()
  .transform((v) => v || undefined);

const querySchema = z.object({
  endpoint: text(40),
  accountId: text(256),
  statementId: text(256),
  startTime: date,
  endTime: date,
  limit: z
    .string()
    .trim()
    .regex(/^\d{0,4}$/, 'must be a whole number')
    .optional()
    .transform((v) => v || undefined),
  offset: text(512),
});

export type ExplorerQuery = z.output<typeof querySchema>;

class ExplorerInputError extends AppError {
  constructor(message: string) {
    super(400, 'invalid_input', message);
  }
}

export function explorerRoutes(deps: PageDeps): Router {
  const router = Router();

  router.get('/api-explorer', requireLogin, async (req, res) => {
    const parsed = querySchema.safeParse(req.query);
    if (!parsed.success) {
      throw new ExplorerInputError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    }
    const q = parsed.data;
    const tokens = tokenAccess(res, deps);
    let accounts: AccountChoice[] = [];
    let accountsError: string | undefined;
    const list = await callApi(deps.config, tokens, { path: '/accounts' });
    if (list.status === 200) accounts = accountChoices(list.json);
    else accountsError = fdxErrorMessage(list);

    const endpoint = q.endpoint ? endpointById(q.endpoint) : undefined;
    if (q.endpoint && !endpoint) throw new ExplorerInputError(`Unknown endpoint "${q.endpoint}".`);
    let result: ApiResult | undefined;
    let problem: string | undefined;
    if (endpoint) {
      const accountId = q.accountId ?? '';
      const statementId = q.statementId ?? '';
      if (endpoint.needsAccount && !accountId) problem = 'Pick an account for this endpoint.';
      else if (endpoint.needsStatement && !statementId) problem = 'Enter a statement id (list the statements first).';
      else {
        result = await callApi(deps.config, tokens, {
          path: endpoint.path({ accountId, statementId }),
          accept: endpoint.needsStatement ? 'application/pdf' : 'application/json',
          query: {
            ...(endpoint.dateRange ? { startTime: q.startTime, endTime: q.endTime } : {}),
            ...(endpoint.paging ? { limit: q.limit, offset: q.offset } : {}),
          },
        });
      }
    }
    res.set('Cache-Control', 'no-store').render('explorer', {
      title: 'API explorer',
      endpoints: ENDPOINTS,
      endpoint,
      q,
      accounts,
      accountsError,
      problem,
      result,
      resultError: result ? fdxErrorMessage(result) : undefined,
      pretty: result?.json === undefined ? undefined : JSON.stringify(result.json, null, 2),
      nextOffset: nextOffsetOf(result),
      statementIds: endpoint?.id === 'statements' ? statementIdsOf(result) : [],
      nextPageHref: (offset: string) => explorerHref({ ...q, offset }),
      pdfHref: (accountId: string, statementId: string) =>
        `/api-explorer/statements/${encodeURIComponent(accountId)}/${encodeURIComponent(statementId)}.pdf`,
    });
  });

  // Statements open as PDF through the app: the browser never sees the access token.
  router.get('/api-explorer/statements/:accountId/:statementId.pdf', requireLogin, async (req, res) => {
    const accountId = String(req.params.accountId);
    const statementId = String(req.params.statementId);
    const result = await callApi(deps.config, tokenAccess(res, deps), {
      path: `/accounts/${encodeURIComponent(accountId)}/statements/${encodeURIComponent(statementId)}`,
      accept: 'application/pdf',
    });
    if (result.status !== 200 || !result.bytes) {
      res.status(result.status >= 400 ? result.status : 502).render('error', {
        title: 'Statement unavailable',
        status: result.status,
        message: fdxErrorMessage(result) ?? `The API did not return a PDF (content type "${result.contentType}").`,
      });
      return;
    }
    res
      .set({
        'Content-Type': 'application/pdf',
        'Content-Disposition': `inline; filename="statement-${statementId.replace(/[^\w.-]/g, '_')}.pdf"`,
        'Cache-Control': 'no-store',
      })
      .send(result.bytes);
  });

  return router;
}

function explorerHref(q: ExplorerQuery): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(q)) if (value) params.set(key, value);
  return `/api-explorer?${params.toString()}`;
}

function nextOffsetOf(result: ApiResult | undefined): string | undefined {
  const next = (result?.json as { page?: { nextOffset?: unknown } } | undefined)?.page?.nextOffset;
  return typeof next === 'string' || typeof next === 'number' ? String(next) : undefined;
}

function statementIdsOf(result: ApiResult | undefined): string[] {
  const statements = (result?.json as { statements?: unknown } | undefined)?.statements;
  if (!Array.isArray(statements)) return [];
  return statements
    .map((s) => (s as { statementId?: unknown }).statementId)
    .filter((id): id is string => typeof id === 'string');
}
