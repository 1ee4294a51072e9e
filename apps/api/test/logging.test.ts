import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type TestApi } from './support.js';

describe('logs', () => {
  const lines: string[] = [];
  let api: TestApi;
  beforeAll(async () => {
    api = await startApi({ logLines: lines });
  });
  afterAll(() => api.close());

  it('never contain the access token, valid or not', async () => {
    const good = await api.token();
    const expired = await api.token({ expiresIn: Math.floor(Date.now() / 1000) - 100 });
    await api.get('/accounts', good);
    await api.get('/accounts', expired);
    await api.get(`/accounts?access_token=${good}`, good);
    expect(lines.length).toBeGreaterThanOrEqual(3);
    const all = lines.join('\n');
    for (const token of [good, expired]) {
      expect(all).not.toContain(token);
      expect(all).not.toContain(token.split('.')[2]!);
    }
    expect(all).not.toMatch(/authorization/i);
  });
});
