import { configOrExit, createLogger, loadDotEnv, serve } from '@apps/shared';
import { loadApiConfig } from './config.js';
import { startServer } from './server.js';

loadDotEnv('.env');
const config = configOrExit(() => loadApiConfig(process.env));
const logger = createLogger({ name: 'api', level: config.logLevel });
const service = await startServer(config, logger);
await serve(service.app, { host: config.host, port: config.port, instanceId: config.instanceId, logger, onClose: () => service.close() });
