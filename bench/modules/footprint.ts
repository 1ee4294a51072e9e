import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newKey, signToken, startJwks } from '@kit/harness/jwks';
import { startOpConsents } from '@kit/harness/op-consents';
import { freePort } from '@kit/harness/ports';
import { stopChild } from '@kit/harness/process';
import { FDX } from '../lib/api-target.js';
import { apiEnv, appEnv, authEnv, buildIfMissing, mainOf, type ServiceName } from '../lib/built-services.js';
import { heapLabel, type BenchContext, type BenchModule } from '../lib/context.js';
import { load, type LoadOptions, type LoadResult } from '../lib/load.js';
import { rssMb, spawnNode, waitFor200 } from '../lib/process.js';
import { refreshChains, refreshGrantRequests } from '../lib/refresh-chains.js';
import type { Cell, Section } from '../lib/report.js';

const STARTS = 5;
const IDLE_MS = 2000;
const SAMPLE_MS = 200;

/** One load on a running instance: a path, or requests prepared against it (e.g. tokens it issued). */
interface LoadCase {
  label: string;
  prepare(url: string): Promise<Pick<LoadOptions, 'headers' | 'requests'> & { path?: string }>;
}

interface Target {
  service: ServiceName;
  env: Record<string, string>;
  loads: LoadCase[];
}

interface Running {
  child: ChildProcess;
  url: string;
  /** Spawn until GET /public/ready answered 200. */
  startMs: number;
}

interface Figures {
  service: ServiceName;
  firstStartMs: number;
  startsMs: number[];
  loads: Array<{ label: string; heap: string[]; idleMb: number | undefined; peakMb: number; result: LoadResult }>;
}

/** `node [heap flags] apps/<service>/dist/main.js`; no flags is what `pnpm start` and the images run. */
async function start(target: Target, cwd: string, heap: string[] = []): Promise<Running> {
  const url = `http://127.0.0.1:${target.env.PORT}`;
  const started = performance.now();
  const child = spawnNode([...heap, mainOf(target.service)], target.env, cwd);
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`${target.service} exited with ${code} before it was ready`))),
  );
  try {
    return { child, url, startMs: await Promise.race([waitFor200(`${url}/public/ready`, started), exited]) };
  } catch (err) {
    await stopChild(child);
    throw err;
  }
}

async function startStop(target: Target, cwd: string): Promise<number> {
  const running = await start(target, cwd);
  await stopChild(running.child);
  return running.startMs;
}

/**
 * Starts (the first on an empty data directory, then restarts) with V8's default heap sizing,
 * then one fresh instance per load and heap variant.
 */
async function measure(target: Target, cwd: string, ctx: BenchContext): Promise<Figures> {
  ctx.log(`footprint: ${target.service}: ${STARTS + 1} starts`);
  const figures: Figures = { service: target.service, firstStartMs: await startStop(target, cwd), startsMs: [], loads: [] };
  for (let i = 0; i < STARTS; i++) figures.startsMs.push(await startStop(target, cwd));
  for (const loadCase of target.loads) {
    for (const heap of ctx.settings.heapVariants) {
      const running = await start(target, cwd, heap);
      try {
        await new Promise((r) => setTimeout(r, IDLE_MS));
        const idleMb = rssMb(running.child.pid);
        const { path = '', ...options } = await loadCase.prepare(running.url);
        ctx.log(`footprint: ${target.service}: RSS under load (${loadCase.label}; heap: ${heapLabel(heap)})`);
        let peakMb = 0;
        const sampler = setInterval(() => (peakMb = Math.max(peakMb, rssMb(running.child.pid) ?? 0)), SAMPLE_MS);
        const result = await load(`${running.url}${path}`, {
          durationSeconds: ctx.settings.durationSeconds,
          connections: ctx.settings.connections,
          pid: running.child.pid,
          ...options,
        }).finally(() => clearInterval(sampler));
        figures.loads.push({ label: loadCase.label, heap, idleMb, peakMb, result });
      } finally {
        await stopChild(running.child);
      }
    }
  }
  return figures;
}

/** The three services with what each needs; the app's OP is `auth`, started before it. */
function targets(
  root: string,
  ports: [number, number, number],
  api: { jwksUrl: string; consentFeed: { url: string; secret: string }; token: () => Promise<string> },
  ctx: BenchContext,
): Record<ServiceName, Target> {
  const [apiPort, authPort, appPort] = ports;
  return {
    api: {
      service: 'api',
      env: apiEnv(apiPort, join(root, 'api'), api.jwksUrl, api.consentFeed),
      loads: [
        {
          label: 'GET /accounts (bearer token)',
          prepare: async () => ({ path: `${FDX}/accounts`, headers: { authorization: `Bearer ${await api.token()}` } }),
        },
      ],
    },
    auth: {
      service: 'auth',
      env: authEnv(authPort, join(root, 'auth')),
      loads: [
        {
          label: 'discovery + JWKS',
          prepare: async () => ({ requests: [{ path: '/.well-known/openid-configuration' }, { path: '/jwks' }] }),
        },
        {
          label: 'refresh grants (token endpoint)',
          prepare: async (url) => {
            const count = 2 * ctx.settings.connections + 10;
            ctx.log(`footprint: auth: ${count} refresh tokens from authorization code flows`);
            return { requests: refreshGrantRequests(await refreshChains(url, count)) };
          },
        },
      ],
    },
    app: {
      service: 'app',
      env: appEnv(appPort, join(root, 'app'), `http://127.0.0.1:${authPort}`),
      loads: [{ label: 'GET / (home, anonymous)', prepare: async () => ({ path: '/' }) }],
    },
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const COLUMNS = {
  first: 'first start (ms)',
  median: `start, median of ${STARTS} (ms)`,
  slowest: 'start, slowest (ms)',
};

/** One row per load; the start figures on a service's first row. */
function rowsOf(figures: Figures): Array<Record<string, Cell>> {
  return figures.loads.map((l, i) => ({
    service: figures.service,
    ...(i === 0
      ? {
          [COLUMNS.first]: Math.round(figures.firstStartMs),
          [COLUMNS.median]: Math.round(median(figures.startsMs)),
          [COLUMNS.slowest]: Math.round(Math.max(...figures.startsMs)),
        }
      : {}),
    heap: heapLabel(l.heap),
    'RSS idle (MB)': l.idleMb ?? null,
    load: l.label,
    'req/s': l.result.rps,
    'CPU µs/req': l.result.cpuMicros,
    failures: l.result.failures,
    'RSS peak (MB)': l.peakMb || null,
  }));
}

/** The three services as built and run in production (`node apps/<service>/dist/main.js`): start time and memory. */
export const footprintModule: BenchModule = {
  name: 'footprint',
  description: 'cold start of each built service to /public/ready, RSS idle and under load',
  available: async () => true,
  async run(ctx) {
    buildIfMissing(ctx.log);
    const root = mkdtempSync(join(tmpdir(), 'bench-footprint-'));
    // An empty working directory: main.js reads .env from it.
    const cwd = join(root, 'cwd');
    mkdirSync(cwd);
    const key = await newKey('bench-key');
    const jwks = await startJwks([key.jwk]);
    const consentFeed = await startOpConsents({ secret: 'bench-internal-secret-0123456789-abcdefghijklmnop' });
    // One port per service, kept across its restarts (the OP's issuer and the app's URL name it).
    const ports = new Set<number>();
    while (ports.size < 3) ports.add(await freePort());
    const token = () => signToken(key, { expiresIn: Math.floor(Date.now() / 1000) + 3600 });
    const target = targets(root, [...ports] as [number, number, number], { jwksUrl: jwks.url, consentFeed, token }, ctx);
    const rows: Array<Record<string, Cell>> = [];
    let op: Running | undefined;
    try {
      rows.push(...rowsOf(await measure(target.api, cwd, ctx)));
      rows.push(...rowsOf(await measure(target.auth, cwd, ctx)));
      // The app discovers the OP at start-up: a running one, as in a deployment.
      op = await start(target.auth, cwd);
      rows.push(...rowsOf(await measure(target.app, cwd, ctx)));
    } finally {
      if (op) await stopChild(op.child);
      await jwks.close();
      await consentFeed.close();
      rmSync(root, { recursive: true, force: true });
    }
    const section: Section = {
      title: 'Footprint: built services (node apps/<service>/dist/main.js, SQLite, NODE_ENV=development)',
      columns: [
        'service',
        COLUMNS.first,
        COLUMNS.median,
        COLUMNS.slowest,
        'heap',
        'RSS idle (MB)',
        'load',
        'req/s',
        'CPU µs/req',
        'failures',
        'RSS peak (MB)',
      ],
      rows,
      notes: [
        'Targets: ready in under 1.5 s after build; RSS under 150 MB per service.',
        "Start = spawn until GET /public/ready answers 200 (database migrated and answering). The first start is on an empty data directory (migrations, demo data, the OP's development signing key); the others restart on it.",
        `RSS idle ${IDLE_MS / 1000} s after ready; peak sampled every ${SAMPLE_MS} ms through warm-up and load, each load on a fresh instance. The app runs with the OP up (started first).`,
        'Starts use V8\'s default heap sizing (what `pnpm start` and the images run); each load runs once per heap variant (BENCH_HEAP): `node <flags> main.js`, the same as NODE_OPTIONS=<flags>. CPU µs/req is the service\'s own CPU time (all threads) per request: what a smaller heap costs in garbage collection.',
        'NODE_ENV=development: Express does not cache compiled views, so the app renders each page from its EJS source.',
      ],
    };
    return [section];
  },
};
