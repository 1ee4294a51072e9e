import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { traceLogFields } from './tracing/context.js';

export const REDACTED = '[redacted]';

/**
 * Keys whose values never reach the output, at any depth and in any letter case: whatever a
 * handler logs (headers, bodies, token sets, errors carrying request options), these are
 * replaced. Redaction by configuration, not by care.
 */
const SENSITIVE_KEYS = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'password',
  'client_secret',
  'clientsecret',
  'access_token',
  'accesstoken',
  'refresh_token',
  'refreshtoken',
  'id_token',
  'idtoken',
  'token',
  'code_verifier',
  'codeverifier',
  'secret',
]);

/** `code` is an authorization code at the top of a log object; deeper it is usually an error code. */
const SENSITIVE_TOP_LEVEL_KEYS = new Set(['code']);

/** Deeper than this, a value is replaced rather than walked (log objects are shallow). */
const MAX_DEPTH = 8;

function isPlainObject(value: object): value is Record<string, unknown> {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * The value with every sensitive key's value replaced, in one walk; objects without
 * anything to redact are returned as they are, so the common log line costs no copies.
 * Errors are serialized first (pino's err serializer would otherwise copy their fields
 * after this ran).
 */
export function redact(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return '[too deep]';
  // As pino's err serializer would show it (type, message, stack, own fields), as a plain object.
  if (value instanceof Error) return redact({ ...pino.stdSerializers.err(value) }, depth);
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const redacted = redact(item, depth + 1);
      if (redacted !== item) (copy ??= value.slice())[i] = redacted;
    }
    return copy ?? value;
  }
  if (!isPlainObject(value)) return value;
  let copy: Record<string, unknown> | undefined;
  for (const key in value) {
    const item = value[key];
    const lower = key.toLowerCase();
    const redacted =
      item !== undefined && (SENSITIVE_KEYS.has(lower) || (depth === 0 && SENSITIVE_TOP_LEVEL_KEYS.has(lower)))
        ? REDACTED
        : redact(item, depth + 1);
    if (redacted !== item) (copy ??= { ...value })[key] = redacted;
  }
  return copy ?? value;
}

export interface LoggerConfig {
  name: string;
  level?: string;
  pretty?: boolean;
}

export function createLogger(config: LoggerConfig, destination?: DestinationStream): Logger {
  const options: LoggerOptions = {
    name: config.name,
    level: config.level ?? 'info',
    formatters: {
      log: (object) => redact(object) as Record<string, unknown>,
      bindings: (bindings) => redact(bindings) as Record<string, unknown>,
    },
    // Errors are already serialized (and redacted) by the log formatter.
    serializers: { err: (err: unknown) => err },
    base: { service: config.name },
    // A line logged while a traced request is in progress carries its trace_id and span_id.
    mixin: traceLogFields,
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  const logger = destination ? pino(options, destination) : pino(options);
  // pino applies the bindings formatter to the base bindings only; child loggers inherit this
  // own property (they are created with Object.create), so every child's bindings are redacted.
  const proto = Object.getPrototypeOf(logger) as Logger;
  logger.child = function (this: Logger, bindings, childOptions) {
    return proto.child.call(this, redact(bindings) as typeof bindings, childOptions);
  } as Logger['child'];
  return logger;
}

export type { Logger };
