import { configOrExit, createLogger, loadDotEnv, serve } from '@apps/shared';
import { loadAppConfig } from './config.js';
import { createServer } from './server.js';

loadDotEnv('.env');
const config = configOrExit(() => loadAppConfig(process.env));
const logger = createLogger({ name: 'app', level: config.logLevel });
const app = createServer(config, { logger });
await serve(app, { host: config.host, port: config.port, logger });
