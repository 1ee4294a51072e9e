import { isDatabaseUnavailable } from '@apps/shared';
import { TemporarilyUnavailable } from '../errors.js';

/** Runs a storage operation of the OP; an unreachable database becomes a 503 `temporarily_unavailable`. */
export async function guarded<T>(op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    if (isDatabaseUnavailable(err)) throw new TemporarilyUnavailable(err);
    throw err;
  }
}
