import type { AppConfig } from '../config.js';
import { UpstreamUnavailableError } from '../errors.js';
import type { TokenSet } from '../session/types.js';

export interface ApiResult {
  url: string;
  status: number;
  durationMs: number;
  headers: Array<[string, string]>;
  contentType: string;
  json?: unknown;
  text?: string;
  bytes?: Buffer;
  /** True when the first attempt got 401 and the call was retried with refreshed tokens. */
  refreshed: boolean;
}

export interface ApiRequest {
  path: string;
  query?: Record<string, string | undefined>;
  accept?: string;
}

export interface TokenAccess {
  current(): TokenSet;
  /** Refreshes once and persists the result; throws SessionEndedError when the grant is gone. */
  refresh(): Promise<TokenSet>;
}

/**
 * Calls the FDX API server-side with the session's access token. An access token known to be
 * expired is refreshed first; otherwise one 401 triggers one refresh and one retry. At most one
 * refresh per call; the token never leaves the server.
 */
export async function callApi(config: AppConfig, tokens: TokenAccess, request: ApiRequest): Promise<ApiResult> {
  const url = new URL(`${config.apiBaseUrl}${request.path}`);
  for (const [key, value] of Object.entries(request.query ?? {})) {
    if (value) url.searchParams.set(key, value);
  }
  let current = tokens.current();
  let refreshed = false;
  // Known to be expired (with a little clock skew): refresh first instead of collecting a 401.
  if (current.refreshToken && current.accessTokenExpiresAt !== undefined && current.accessTokenExpiresAt <= Date.now() / 1000 + 5) {
    current = await tokens.refresh();
    refreshed = true;
  }
  const first = await send(url, current, request.accept);
  if (first.status !== 401 || refreshed) return { ...first, refreshed };
  const retried = await tokens.refresh();
  return { ...(await send(url, retried, request.accept)), refreshed: true };
}

async function send(url: URL, tokens: TokenSet, accept = 'application/json'): Promise<ApiResult> {
  const started = performance.now();
  let res: Response;
  try {
    res = await fetch(url, {
      headers: { authorization: `Bearer ${tokens.accessToken}`, accept },
      redirect: 'manual',
      signal: AbortSignal.timeout(15_000),
    });
  } catch (err) {
    throw new UpstreamUnavailableError(`The FDX API at ${url.origin}`, err);
  }
  const raw = Buffer.from(await res.arrayBuffer());
  const durationMs = Math.round(performance.now() - started);
  const contentType = res.headers.get('content-type') ?? '';
  const result: ApiResult = {
    url: url.pathname + url.search,
    status: res.status,
    durationMs,
    headers: [...res.headers.entries()],
    contentType,
    refreshed: false,
  };
  if (/json/i.test(contentType)) {
    try {
      result.json = JSON.parse(raw.toString('utf8'));
    } catch {
      result.text = raw.toString('utf8');
    }
  } else if (/^text\//i.test(contentType) || raw.length === 0) {
    result.text = raw.toString('utf8');
  } else {
    result.bytes = raw;
  }
  return result;
}

/** FDX error objects (`{ code, message, debugMessage }`) as one readable line, when the body is one. */
export function fdxErrorMessage(result: ApiResult): string | undefined {
  if (result.status < 400) return undefined;
  const body = result.json as { code?: unknown; message?: unknown; debugMessage?: unknown } | undefined;
  if (body && (typeof body.message === 'string' || body.code !== undefined)) {
    const code = typeof body.code === 'string' || typeof body.code === 'number' ? `FDX error ${body.code}: ` : '';
    const message = typeof body.message === 'string' ? body.message : 'no message';
    const debug = typeof body.debugMessage === 'string' ? ` — ${body.debugMessage}` : '';
    return `${code}${message}${debug}`;
  }
  return `The API answered HTTP ${result.status}.`;
}
