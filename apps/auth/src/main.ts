import { configOrExit, createLogger, loadDotEnv, serve } from '@apps/shared';
import { startAuth } from './app.js';
import { loadAuthConfig } from './config.js';

loadDotEnv('.env');
const config = configOrExit(() => loadAuthConfig(process.env));
const logger = createLogger({ name: 'auth', level: config.logLevel });
const auth = await startAuth(config, logger);
await serve(auth.app, { host: config.host, port: config.port, logger, onClose: () => auth.close() });
