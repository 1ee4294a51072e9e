import { describe, expect, it } from 'vitest';
import {
  connectionsPerVcpu,
  cpuSecondsPerConnectionDay,
  EVERY_15_MINUTES,
  KEYCLOAK_PER_VCPU,
  PLAID_DAILY,
  perVcpuSecond,
  verdict,
  versusKeycloak,
  type OperationCosts,
  type TrafficModel,
} from '../lib/capacity-model.js';

const costs: OperationCosts = { login: 40, codeExchange: 2, refresh: 2.5, accounts: 0.4, transactionsPage: 0.6, statementPdf: 10, mcpToolCall: 1 };

describe('capacity model', () => {
  it('adds up one connection’s daily CPU from the operations of its traffic model', () => {
    const model: TrafficModel = { name: 't', description: 't', perDay: { refresh: 4, accounts: 4, transactionsPage: 8 } };
    // 4 × 2.5 + 4 × 0.4 + 8 × 0.6 = 16.4 ms
    expect(cpuSecondsPerConnectionDay(costs, model)).toBeCloseTo(0.0164, 10);
    expect(connectionsPerVcpu(costs, model)).toBeCloseTo(86_400 / 0.0164, 3);
  });

  it('divides by the peak-to-mean factor and multiplies by the planned utilisation', () => {
    const raw = connectionsPerVcpu(costs, PLAID_DAILY)!;
    expect(connectionsPerVcpu(costs, PLAID_DAILY, { peakToMean: 4, utilisation: 0.7 })).toBeCloseTo((raw * 0.7) / 4, 6);
  });

  it('says nothing rather than a wrong figure when an operation of the model was not measured', () => {
    const { refresh: _refresh, ...withoutRefresh } = costs;
    expect(cpuSecondsPerConnectionDay(withoutRefresh, PLAID_DAILY)).toBeUndefined();
    expect(connectionsPerVcpu(withoutRefresh, PLAID_DAILY)).toBeUndefined();
    expect(connectionsPerVcpu({ ...costs, refresh: Number.NaN }, PLAID_DAILY)).toBeUndefined();
  });

  it('keeps the MCP tool call out of both traffic models, and the worst case costlier than the Plaid-like one', () => {
    expect(PLAID_DAILY.perDay.mcpToolCall).toBeUndefined();
    expect(EVERY_15_MINUTES.perDay.mcpToolCall).toBeUndefined();
    expect(EVERY_15_MINUTES.perDay.refresh).toBe(96); // 24 h × 4 per hour
    expect(connectionsPerVcpu(costs, EVERY_15_MINUTES)!).toBeLessThan(connectionsPerVcpu(costs, PLAID_DAILY)!);
  });

  it('compares per-vCPU rates with Keycloak’s sizing, counting our sign-in with its code exchange', () => {
    expect(perVcpuSecond(2.5)).toBe(400);
    expect(perVcpuSecond(0)).toBeUndefined();
    const [login, refresh] = versusKeycloak(costs);
    expect(login).toMatchObject({ keycloak: KEYCLOAK_PER_VCPU.login, ours: 1000 / 42 });
    expect(login!.ratio).toBeCloseTo(1000 / 42 / 15, 10);
    expect(refresh).toMatchObject({ ours: 400, keycloak: 120 });
    expect(refresh!.ratio).toBeCloseTo(400 / 120, 10);
    expect(versusKeycloak({ refresh: 2.5 })[0]!.ours).toBeUndefined();
  });

  it('calls an aim met or missed, and an absent figure not measured', () => {
    expect(verdict(2, 2, 'at least')).toBe('met');
    expect(verdict(1.99, 2, 'at least')).toBe('missed');
    expect(verdict(19.9, 20, 'below')).toBe('met');
    expect(verdict(20, 20, 'below')).toBe('missed');
    expect(verdict(0.05, 0.05, 'at most')).toBe('met');
    expect(verdict(0.051, 0.05, 'at most')).toBe('missed');
    expect(verdict(undefined, 20, 'below')).toBe('not measured');
    expect(verdict(Number.NaN, 2, 'at least')).toBe('not measured');
  });
});
