// Types for caddy.js, so TypeScript callers (stack.ts, scripts) can import it.
import type { ChildProcess, StdioOptions } from 'node:child_process';

export const ROOT: string;
export const CADDY_DIR: string;
export const CADDY_STORAGE: string;
export const ROOT_CA: string;
export const CA_BUNDLE: string;
export function caddyBinary(): string;
export function caddyEnv(extra?: Record<string, string>): NodeJS.ProcessEnv;
export function startCaddy(options?: { config?: string; env?: Record<string, string>; stdio?: StdioOptions }): ChildProcess;
export function caBundle(rootCa: string): string;
export function ensureCaBundle(): Promise<string>;
