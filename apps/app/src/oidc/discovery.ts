import * as client from 'openid-client';
import type { Logger } from '@apps/shared';
import type { AppConfig } from '../config.js';

export type DiscoverFn = (config: AppConfig) => Promise<client.Configuration>;

/** Discovery of OP_ISSUER with client_secret_basic; plain http only outside production (tests, local fixtures). */
export const discover: DiscoverFn = async (config) => {
  const insecure = config.issuer.startsWith('http://') && config.nodeEnv !== 'production';
  return client.discovery(
    new URL(config.issuer),
    config.clientId,
    { client_secret: config.clientSecret },
    client.ClientSecretBasic(config.clientSecret),
    { execute: insecure ? [client.allowInsecureRequests] : [], timeout: 10 },
  );
};

export interface OidcOptions {
  initialDelayMs?: number;
  maxDelayMs: number;
  discover?: DiscoverFn;
}

/**
 * Holds the OP's configuration once discovered. The app starts without it and keeps
 * retrying with exponential backoff, logging each failed attempt once (one line, with
 * the next delay), so it serves pages that say the identity provider is unreachable
 * instead of crashing or flooding the log.
 */
export class OidcClient {
  #config: client.Configuration | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #attempt = 0;
  #lastError: string | undefined;
  readonly #waiters: Array<(c: client.Configuration) => void> = [];

  constructor(
    private readonly appConfig: AppConfig,
    private readonly logger: Logger,
    private readonly options: OidcOptions,
  ) {}

  get configuration(): client.Configuration | undefined {
    return this.#config;
  }

  get lastError(): string | undefined {
    return this.#lastError;
  }

  /** Starts discovery in the background; resolves nothing, never throws. */
  start(): this {
    void this.#tryOnce();
    return this;
  }

  /** Resolves once discovered (tests and readiness use it). */
  ready(): Promise<client.Configuration> {
    if (this.#config) return Promise.resolve(this.#config);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
  }

  async #tryOnce(): Promise<void> {
    if (this.#stopped) return;
    this.#attempt += 1;
    try {
      const configuration = await (this.options.discover ?? discover)(this.appConfig);
      if (this.#stopped) return;
      this.#config = configuration;
      this.#lastError = undefined;
      this.logger.info({ issuer: this.appConfig.issuer, attempts: this.#attempt }, 'identity provider discovered');
      for (const resolve of this.#waiters.splice(0)) resolve(configuration);
    } catch (err) {
      if (this.#stopped) return;
      const delay = Math.min(this.options.maxDelayMs, (this.options.initialDelayMs ?? 500) * 2 ** (this.#attempt - 1));
      this.#lastError = describe(err);
      this.logger.warn(
        { issuer: this.appConfig.issuer, attempt: this.#attempt, retryInMs: delay, reason: this.#lastError },
        'identity provider unreachable; will retry discovery',
      );
      this.#timer = setTimeout(() => void this.#tryOnce(), delay);
      this.#timer.unref();
    }
  }
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return 'unknown error';
  const cause = err.cause instanceof Error ? `: ${(err.cause as Error & { code?: string }).code ?? err.cause.message}` : '';
  return `${err.message}${cause}`;
}
