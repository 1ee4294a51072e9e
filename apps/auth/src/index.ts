// What tooling outside the OP (benchmarks, tests combining services) may use, through the package
// `@apps/auth`; the service itself starts from main.ts.
export { loadAuthConfig, type AuthConfig } from './config.js';
export { startServer, type AuthService } from './server.js';
export { generateEcSigningKey, generateSigningKey } from './keys/jwks.js';
