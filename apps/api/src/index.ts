// What tooling outside the API (benchmarks, tests combining services) may use, through the package
// `@apps/api`; the service itself starts from main.ts. Nothing here is imported by the request path.
export { loadApiConfig, type ApiConfig } from './config.js';
export { createServer, startServer, type ApiDeps, type ApiService, type StartOptions } from './server.js';
export { openApiDatabase } from './db/open.js';
export type { ApiSchema } from './db/schema.js';
export { SqlDataSource } from './db/sql-data-source.js';
export * from './data-source.js';
export { seed, seedVolume, VOLUME_ACCOUNT_ID } from './demo/load.js';
export { demoRecords, volumeTransactions } from './demo/records.js';
export { importSources, type ImportOptions, type ImportProgress } from './import/importer.js';
export { openSources, memorySource, type RecordSource } from './import/read.js';
export { writeNdjson } from './import/write-ndjson.js';
export type { ImportReport } from './import/report.js';
export type { ImportRecord } from './import/records.js';
export { INSTITUTION } from './demo/seed-data.js';
export { createTokenVerifier, type AccessToken, type TokenVerifier } from './auth/verifier.js';
export { ConsentRevocations, type EndedConsents } from './consent/revocations.js';
export { createOpClient } from './consent/op-client.js';
export { customerDataFor } from './consent/selected-accounts.js';
export { rateLimit, type RateLimits } from './fdx/rate-limit.js';
export { renderStatementPdf } from './pdf/statement-pdf.js';
export { ApiMetrics } from './metrics.js';
