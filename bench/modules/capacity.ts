import { stopChild } from '@kit/harness/process';
import { reachableStores, seededApiStore, STORE_LABEL, type DbStore } from '../lib/api-data.js';
import { API_OPERATIONS, loadApiOperation } from '../lib/api-operations.js';
import { startApiTarget } from '../lib/api-target.js';
import { runTokenBench, startAuthTarget, tokenBenchOptionsFromEnv } from '../lib/auth-token.js';
import {
  connectionsPerVcpu,
  cpuSecondsPerConnectionDay,
  KEYCLOAK_PER_VCPU,
  OPERATION_LABELS,
  OPERATIONS,
  perVcpuSecond,
  PLANNING_HEADROOM,
  REFRESH_AIM,
  TRAFFIC_MODELS,
  verdict,
  versusKeycloak,
  type Operation,
  type OperationCosts,
} from '../lib/capacity-model.js';
import type { BenchContext, BenchModule } from '../lib/context.js';
import { measureLogins } from '../lib/op-login.js';
import type { Cell, Section } from '../lib/report.js';


interface Measured {
  costs: OperationCosts;
  /** Operations per second the closed-loop load reached (the machine's, not a vCPU's). */
  throughput: Partial<Record<Operation, number>>;
  /** RS256 signatures per second on one core, measured in the run: how fast the cores were. */
  signaturesPerSecond?: number;
}

const round = (x: number | undefined, digits = 2) => (x === undefined || !Number.isFinite(x) ? null : Math.round(x * 10 ** digits) / 10 ** digits);

async function measureApi(ctx: BenchContext, store: DbStore, into: Measured): Promise<void> {
  const { durationSeconds, connections } = ctx.settings;
  const data = await seededApiStore(ctx, store);
  try {
    const target = await startApiTarget({ dataDir: data.dataDir, databaseUrl: data.databaseUrl, paths: [], rateLimit: true });
    try {
      for (const operation of API_OPERATIONS) {
        ctx.log(`capacity: ${STORE_LABEL[store]}: API ${OPERATION_LABELS[operation]}`);
        const result = await loadApiOperation(target, operation, { durationSeconds, connections });
        if (result.failures > 0) throw new Error(`${OPERATION_LABELS[operation]}: ${result.failures} failed requests`);
        into.costs[operation] = result.cpuMicros === null ? undefined : result.cpuMicros / 1000;
        into.throughput[operation] = result.rps;
      }
    } finally {
      await target.stop();
    }
  } finally {
    await data.drop();
  }
}

async function measureOp(ctx: BenchContext, store: DbStore, into: Measured): Promise<void> {
  const options = { ...tokenBenchOptionsFromEnv(ctx.settings.durationSeconds), stores: [store], algs: ['RS256' as const], profileDir: undefined };
  const tokens = await runTokenBench(options, ctx.log);
  const grants = tokens.cases[0];
  into.signaturesPerSecond = tokens.signaturesPerSecond.RS256;
  if (grants) {
    into.costs.refresh = grants.refreshCpuMs;
    into.costs.codeExchange = grants.codeExchangeCpuMs;
    into.throughput.refresh = grants.refreshPerSecond;
    into.throughput.codeExchange = grants.codeExchangesPerSecond;
  }
  ctx.log(`capacity: ${STORE_LABEL[store]}: OP sign-ins (argon2id)`);
  const { child, issuer } = await startAuthTarget(store, 'RS256', undefined);
  try {
    const logins = await measureLogins(child, issuer, ctx.settings.durationSeconds, options.concurrency);
    into.costs.login = logins.cpuMs;
    into.throughput.login = logins.perSecond;
  } finally {
    await stopChild(child);
  }
}

function costSection(stores: DbStore[], measured: Record<string, Measured>): Section {
  const columns = ['operation', 'service'];
  for (const store of stores) columns.push(`${STORE_LABEL[store]} CPU ms/op`, `${STORE_LABEL[store]} ops/s per vCPU`, `${STORE_LABEL[store]} ops/s (2 vCPU, load generator included)`);
  const rows = OPERATIONS.map((operation) => {
    const row: Record<string, Cell> = { operation: OPERATION_LABELS[operation], service: ['login', 'codeExchange', 'refresh'].includes(operation) ? 'OP' : 'API' };
    for (const store of stores) {
      const cost = measured[store]!.costs[operation];
      row[`${STORE_LABEL[store]} CPU ms/op`] = round(cost, 3);
      row[`${STORE_LABEL[store]} ops/s per vCPU`] = round(perVcpuSecond(cost), 0);
      row[`${STORE_LABEL[store]} ops/s (2 vCPU, load generator included)`] = round(measured[store]!.throughput[operation], 0);
    }
    return row;
  });
  return {
    title: 'Capacity: CPU time per operation of the serving process',
    columns,
    rows,
    notes: [
      'CPU ms/op: user + system CPU time of the serving process (all threads, from /proc) during a closed-loop load, divided by the operations completed. ops/s per vCPU = 1000 ÷ CPU ms/op: what one fully busy vCPU would serve.',
      `Speed of the cores in this run: ${stores.map((store) => `${Math.round(measured[store]!.signaturesPerSecond ?? Number.NaN)} RS256 signatures/s on one core (${STORE_LABEL[store]} phase)`).join(', ')}; CPU per operation scales with it, so compare runs (and hosts) with this figure beside them.`,
      'The PostgreSQL server\'s own CPU is not in these figures (it runs as its own processes, on loopback here); Keycloak\'s published sizing likewise counts Keycloak alone, its database apart.',
      'API: authenticated requests as shipped (JWT check, batched rate limits, consent checks, metrics on, log lines at info to /dev/null), a consent token naming all accounts. OP: refresh grants and code exchanges as in the `auth` module (8 in flight, RS256); a sign-in is a new browser\'s whole flow (authorization request, login page, argon2id password check at OWASP\'s 19 MiB / 2 iterations, consent, redirect with the code).',
    ],
  };
}

function modelSection(stores: DbStore[], measured: Record<string, Measured>): Section {
  const rows = TRAFFIC_MODELS.flatMap((model) =>
    stores.map((store) => {
      const costs = measured[store]!.costs;
      const perDay = cpuSecondsPerConnectionDay(costs, model);
      return {
        'traffic model': model.name,
        store: STORE_LABEL[store],
        'CPU ms per connection-day': round(perDay === undefined ? undefined : perDay * 1000, 1),
        'connections per vCPU (flat, 100 % busy)': round(connectionsPerVcpu(costs, model), 0),
        [`connections per vCPU (peak ${PLANNING_HEADROOM.peakToMean}× mean, ${PLANNING_HEADROOM.utilisation * 100} % busy)`]: round(connectionsPerVcpu(costs, model, PLANNING_HEADROOM), 0),
      };
    }),
  );
  return {
    title: 'Capacity model: connections served per vCPU (bench/lib/capacity-model.ts)',
    columns: Object.keys(rows[0] ?? { 'traffic model': '' }),
    rows,
    notes: [
      ...TRAFFIC_MODELS.map((m) => `${m.name}: ${m.description}.`),
      'A connection is one customer\'s link to one aggregator; the OP and the API are counted together (both run on the host being sized). Plaid\'s access tokens live 15 minutes, so every pull starts with a refresh grant.',
      `Planned figure: the busiest hour taken as ${PLANNING_HEADROOM.peakToMean}× the daily mean, each vCPU planned to ${PLANNING_HEADROOM.utilisation * 100} % busy. The MCP tool call is measured but in neither model (an assistant's traffic is not an aggregator's).`,
    ],
  };
}

function keycloakSection(stores: DbStore[], measured: Record<string, Measured>): Section {
  const rows: Array<Record<string, Cell>> = [];
  for (const store of stores) {
    for (const row of versusKeycloak(measured[store]!.costs)) {
      const refresh = row.what.startsWith('refresh');
      rows.push({
        store: STORE_LABEL[store],
        'per vCPU': row.what,
        ours: round(row.ours, 0),
        Keycloak: row.keycloak,
        ratio: round(row.ratio),
        aim: refresh ? `≥ ${REFRESH_AIM[store]}× Keycloak` : 'reported',
        verdict: refresh ? verdict(row.ratio, REFRESH_AIM[store], 'at least') : null,
      });
    }
    rows.push({ store: STORE_LABEL[store], 'per vCPU': 'client-credentials grants/s', ours: null, Keycloak: KEYCLOAK_PER_VCPU.clientCredentials, ratio: null, aim: 'not measured (no client-credentials client in the Plaid flow)', verdict: null });
  }
  return {
    title: 'Capacity vs Keycloak\'s published sizing (per vCPU)',
    columns: ['store', 'per vCPU', 'ours', 'Keycloak', 'ratio', 'aim', 'verdict'],
    rows,
    notes: [
      'Keycloak ("Concepts for sizing CPU and memory resources", keycloak.org): one vCPU per 15 password-based logins/s, per 120 refresh-token grants/s, per 120 client-credentials grants/s; measured there with the database on its own hosts.',
      'Aims (issue 19): refresh grants per vCPU at least twice Keycloak\'s on SQLite, at least equal on PostgreSQL.',
    ],
  };
}

/** Issue 19, target 1: CPU per operation on SQLite and PostgreSQL, the capacity model, and Keycloak's sizing beside it. */
export const capacityModule: BenchModule = {
  name: 'capacity',
  description: 'CPU per operation (sign-in, code exchange, refresh, /accounts, transactions page, statement PDF, MCP call) → connections per vCPU, vs Keycloak',
  available: async () => true,
  async run(ctx) {
    const { stores, skipped } = await reachableStores();
    const measured: Record<string, Measured> = {};
    for (const store of stores) {
      const into: Measured = { costs: {}, throughput: {} };
      await measureApi(ctx, store, into);
      await measureOp(ctx, store, into);
      measured[store] = into;
    }
    const sections = [costSection(stores, measured), modelSection(stores, measured), keycloakSection(stores, measured)];
    if (skipped.length > 0) sections[0]!.notes!.push(...skipped.map((s) => `Skipped: ${s}.`));
    return sections;
  },
};
