import { configOrExit, createLogger, loadDotEnv, serve } from '@apps/shared';
import { loadAuthConfig } from './config.js';
import { startServer } from './server.js';

loadDotEnv('.env');
const config = configOrExit(() => loadAuthConfig(process.env));
const logger = createLogger({ name: 'auth', level: config.logLevel });
const service = await startServer(config, logger);
await serve(service.app, { host: config.host, port: config.port, logger, onClose: () => service.close() });
