import { loadDotEnv, runCli } from '@apps/shared';
import { program } from './cli/program.js';

// `pnpm kit <noun> <verb>` runs this in apps/api (so it reads that service's .env);
// in a container: `node dist/cli.js <noun> <verb>`.
loadDotEnv('.env');
process.exitCode = await runCli(program, process.argv.slice(2));
