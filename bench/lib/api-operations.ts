import type autocannon from 'autocannon';
import { transactionsPagePath } from './api-data.js';
import { FDX, type ApiTarget } from './api-target.js';
import { load, type LoadResult } from './load.js';

/** The API operations of the capacity model, each as autocannon requests on a running target. */
export const API_OPERATIONS = ['accounts', 'transactionsPage', 'statementPdf', 'mcpToolCall'] as const;
export type ApiOperation = (typeof API_OPERATIONS)[number];

/** The MCP call measured: list_accounts, one JSON-RPC POST (the server is stateless: no session to open first). */
const MCP_CALL = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'list_accounts', arguments: {} } });

function requestsFor(target: ApiTarget, operation: ApiOperation): { url: string; headers: Record<string, string>; requests?: autocannon.Request[] } {
  switch (operation) {
    case 'accounts':
      return { url: `${target.api}${FDX}/accounts`, headers: target.headers };
    case 'transactionsPage':
      return { url: `${target.api}${FDX}${transactionsPagePath()}`, headers: target.headers };
    case 'statementPdf':
      return { url: `${target.api}${FDX}${target.statementPath}`, headers: target.headers };
    case 'mcpToolCall': {
      const headers = { authorization: `Bearer ${target.mcpToken}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
      return { url: `${target.api}/mcp`, headers, requests: [{ method: 'POST', path: '/mcp', headers, body: MCP_CALL }] };
    }
  }
}

/** One call first, so a load never measures a refusal: the MCP tool's answer must be a result, not an error. */
async function check(target: ApiTarget, operation: ApiOperation): Promise<void> {
  const { url, headers } = requestsFor(target, operation);
  const res = await fetch(url, operation === 'mcpToolCall' ? { method: 'POST', headers, body: MCP_CALL } : { headers });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${operation}: HTTP ${res.status} ${text.slice(0, 200)}`);
  if (operation === 'mcpToolCall') {
    const answer = JSON.parse(text) as { result?: { isError?: boolean }; error?: unknown };
    if (!answer.result || answer.result.isError) throw new Error(`MCP tool call failed: ${text.slice(0, 200)}`);
  }
}

/** Load on one operation of a running API target, with the target process's CPU time per request. */
export async function loadApiOperation(target: ApiTarget, operation: ApiOperation, options: { durationSeconds: number; connections: number }): Promise<LoadResult> {
  await check(target, operation);
  const { url, headers, requests } = requestsFor(target, operation);
  return load(url, { ...options, headers, requests, pid: target.child.pid });
}
