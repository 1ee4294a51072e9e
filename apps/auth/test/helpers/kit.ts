import { createLogger, runCli, type CliProgram } from '@apps/shared';
import type { AuthConfig } from '../../src/config.js';
import { openAuthDatabase } from '../../src/db/open.js';
import { program } from '../../src/cli/program.js';
import type { OperatorDeps } from '../../src/cli/deps.js';

export interface KitResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The OP's `pnpm kit` program on the database of `config` (a running test OP's), in-process. */
export function kitFor(config: AuthConfig): (...argv: string[]) => Promise<KitResult> {
  const onStore: CliProgram<OperatorDeps> = {
    ...program,
    async open() {
      const logger = createLogger({ name: 'kit-test', level: 'silent' });
      const database = await openAuthDatabase(config, logger);
      return { config, logger, database, close: () => database.close() };
    },
  };
  return async (...argv) => {
    let stdout = '';
    let stderr = '';
    const code = await runCli(onStore, argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), isTty: false });
    return { code, stdout, stderr };
  };
}

/** stdout of a `--json` run, parsed. */
export const json = <T = Record<string, unknown>>(result: KitResult): T => JSON.parse(result.stdout) as T;
