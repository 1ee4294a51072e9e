import { configOrExit, createLogger, loadDotEnv, serve } from '@apps/shared';
import { loadApiConfig } from './config.js';
import { createServer } from './server.js';

loadDotEnv('.env');
const config = configOrExit(() => loadApiConfig(process.env));
const logger = createLogger({ name: 'api', level: config.logLevel });
const app = createServer(config, { logger });
await serve(app, { host: config.host, port: config.port, logger });
