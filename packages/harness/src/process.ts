// Child processes of the tooling: starting a TypeScript script in its own Node process, waiting
// for something to come up, stopping a child for sure.
import { fork, type ChildProcess } from 'node:child_process';
import { ROOT } from './caddy.js';

/** Polls `probe` every 250 ms until it returns a value; `hint` adds context (e.g. a log tail) to the timeout. */
export async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, hint = () => ''): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${hint()}`);
}

/** Sends `signal` (SIGTERM) and resolves once the child has exited; SIGKILL if it is still there after `killAfterMs`. */
export async function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM', killAfterMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  const force = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
  await exited;
  clearTimeout(force);
}

export interface ForkOptions {
  /** Environment on top of this process's. */
  env?: Record<string, string>;
  /** Node flags before tsx's, e.g. --cpu-prof. */
  execArgv?: string[];
  /** Where the child's stdout goes (stderr is inherited). */
  stdout?: 'ignore' | 'inherit';
}

/**
 * Runs a TypeScript script in its own Node process (tsx, workspace packages from their sources)
 * and waits for its first IPC message, which says what it started (e.g. its URL).
 */
export async function forkScript<T>(script: string, options: ForkOptions = {}): Promise<{ child: ChildProcess; info: T }> {
  const child = fork(script, [], {
    cwd: ROOT,
    execArgv: ['--import', 'tsx', '--conditions=source', ...(options.execArgv ?? [])],
    env: { ...process.env, ...options.env },
    stdio: ['ignore', options.stdout ?? 'ignore', 'inherit', 'ipc'],
  });
  const info = await new Promise<T>((resolve, reject) => {
    child.once('message', (m) => resolve(m as T));
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code} before it was ready`)));
  });
  return { child, info };
}
