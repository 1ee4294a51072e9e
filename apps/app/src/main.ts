import { configOrExit, createLogger, loadDotEnv, serve } from '@apps/shared';
import { loadAppConfig } from './config.js';
import { startServer } from './server.js';

loadDotEnv('.env');
const config = configOrExit(() => loadAppConfig(process.env));
const logger = createLogger({ name: 'app', level: config.logLevel });
const service = await startServer(config, logger);
await serve(service.app, { host: config.host, port: config.port, logger, onClose: () => service.close() });
