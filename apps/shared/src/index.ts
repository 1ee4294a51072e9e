export * from './config.js';
export * from './db.js';
export * from './errors.js';
export * from './http.js';
export * from './lifecycle.js';
export * from './logger.js';
export * from './security.js';
export * from './rate-limit.js';
