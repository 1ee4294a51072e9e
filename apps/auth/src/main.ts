import { configOrExit, createLogger, loadDotEnv, serve } from '@apps/shared';
import { loadAuthConfig } from './config.js';
import { createServer } from './server.js';

loadDotEnv('.env');
const config = configOrExit(() => loadAuthConfig(process.env));
const logger = createLogger({ name: 'auth', level: config.logLevel });
const app = createServer(config, { logger });
await serve(app, { host: config.host, port: config.port, logger });
