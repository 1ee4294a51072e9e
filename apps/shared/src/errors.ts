/**
 * The base of every error an app throws on purpose. Each app translates it once,
 * in its error middleware, into its wire format (OAuth, FDX or an HTML page).
 * `expose` says whether the message may be shown to the caller.
 */
export class AppError extends Error {
  readonly status: number;
  readonly code: string;
  readonly expose: boolean;

  constructor(status: number, code: string, message: string, options: { expose?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.status = status;
    this.code = code;
    this.expose = options.expose ?? status < 500;
  }
}

export class NotFoundError extends AppError {
  constructor(message = 'Not found') {
    super(404, 'not_found', message);
  }
}

export class ServiceUnavailableError extends AppError {
  constructor(message = 'A required subsystem is unavailable', options: { cause?: unknown } = {}) {
    super(503, 'service_unavailable', message, { expose: true, ...options });
  }
}

/** Express' body parsers and others signal client errors with status/statusCode/type. */
export function httpStatusOf(err: unknown): number | undefined {
  if (err instanceof AppError) return err.status;
  if (err && typeof err === 'object') {
    const e = err as { status?: unknown; statusCode?: unknown };
    const status = typeof e.status === 'number' ? e.status : typeof e.statusCode === 'number' ? e.statusCode : undefined;
    if (status !== undefined && status >= 400 && status < 600) return status;
  }
  return undefined;
}
