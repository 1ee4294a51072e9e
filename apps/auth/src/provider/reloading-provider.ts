import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '@apps/shared';
import type Provider from 'oidc-provider';
import type { SigningKeys } from '../keys/jwks.js';
import type { KeySet } from '../keys/key-ring.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => unknown;

export interface ReloadingProviderOptions {
  /** The key set the provider should run with now (polled). */
  load: () => Promise<KeySet>;
  /** A provider for a key set (configuration, events). */
  build: (jwks: SigningKeys) => Provider;
  intervalMs: number;
  logger: Logger;
}

export interface ReloadingProvider {
  /** Stands for whichever provider is current; `callback()` dispatches each request to the current one. */
  provider: Provider;
  /** Loads the key set now; rebuilds when it changed. Returns whether it did. */
  reload(): Promise<boolean>;
  /** Stops polling and waits for a poll in progress (before the database closes). */
  stop(): Promise<void>;
}

/** A method of `target`'s class (bound to it), not a value such as the Grant model class a getter returns. */
function isMethod(target: object, prop: PropertyKey): boolean {
  for (let proto = Object.getPrototypeOf(target) as object | null; proto; proto = Object.getPrototypeOf(proto) as object | null) {
    const descriptor = Object.getOwnPropertyDescriptor(proto, prop);
    if (descriptor) return typeof descriptor.value === 'function';
  }
  return false;
}

/**
 * oidc-provider takes its JWKS at construction. When the key set changes (a key generated,
 * promoted, retired, or a promotion time reached), every instance builds a new Provider within
 * one poll interval and sends new requests to it. Sessions, grants and interactions live in the
 * database, and cookies keep their keys, so nothing in flight is lost. A failed poll keeps the
 * current provider and is logged.
 */
export async function startReloadingProvider(options: ReloadingProviderOptions): Promise<ReloadingProvider> {
  const first = await options.load();
  let fingerprint = first.fingerprint;
  let current = options.build(first.jwks);
  let handler = current.callback() as Handler;

  const provider = new Proxy({} as Provider, {
    get(_target, prop) {
      if (prop === 'callback') return () => (req: IncomingMessage, res: ServerResponse) => handler(req, res);
      const value = Reflect.get(current, prop, current) as unknown;
      return typeof value === 'function' && isMethod(current, prop) ? (value as (...a: unknown[]) => unknown).bind(current) : value;
    },
    set(_target, prop, value) {
      return Reflect.set(current, prop, value, current);
    },
  });

  const reload = async (): Promise<boolean> => {
    const next = await options.load();
    if (next.fingerprint === fingerprint) return false;
    const built = options.build(next.jwks);
    current = built;
    handler = built.callback();
    fingerprint = next.fingerprint;
    options.logger.info({ kids: next.jwks.keys.map((k) => k.kid) }, 'signing keys changed: provider rebuilt');
    return true;
  };

  let running: Promise<unknown> | undefined;
  const timer = setInterval(() => {
    if (running) return;
    running = reload()
      .catch((err: unknown) => options.logger.warn({ err: { message: (err as Error).message } }, 'signing keys reload failed; keeping the current keys'))
      .finally(() => (running = undefined));
  }, options.intervalMs);
  timer.unref();

  return {
    provider,
    reload,
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
