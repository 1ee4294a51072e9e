import type autocannon from 'autocannon';
import { describe, expect, it } from 'vitest';
import { refreshGrantRequests } from '../lib/refresh-chains.js';

type Setup = (request: autocannon.Request, context: object) => autocannon.Request;
type OnResponse = (status: number, body: string, context: object, headers: autocannon.Request['headers']) => void;

function grant(tokens: string[]) {
  const [request] = refreshGrantRequests(tokens);
  const send = () => new URLSearchParams(String((request!.setupRequest as Setup)(request!, {}).body)).get('refresh_token');
  const answer = (status: number, body: unknown) => (request!.onResponse as OnResponse)(status, JSON.stringify(body), {}, {});
  return { request: request!, send, answer };
}

describe('refresh grants under load', () => {
  it('presents each chain token once and continues the chain with the rotated one', () => {
    const tokens = ['a1', 'b1'];
    const { request, send, answer } = grant(tokens);
    expect(request).toMatchObject({ method: 'POST', path: '/token' });
    expect(request.headers?.authorization).toMatch(/^Basic /);
    expect([send(), send()]).toEqual(['a1', 'b1']);
    answer(200, { refresh_token: 'a2' });
    expect(send()).toBe('a2');
    expect(tokens).toEqual([]);
  });

  it('drops a chain whose grant failed and sends no token once none is left, so the failure shows', () => {
    const { send, answer } = grant(['a1']);
    expect(send()).toBe('a1');
    answer(400, { error: 'invalid_grant' });
    expect(send()).toBe('');
  });
});
