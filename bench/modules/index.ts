import type { BenchModule } from '../lib/context.js';
import { apiModule } from './api.js';
import { authModule } from './auth.js';
import { capacityModule } from './capacity.js';
import { footprintModule } from './footprint.js';
import { growthModule } from './growth.js';
import { importModule } from './import.js';
import { latencyModule } from './latency.js';
import { metricsCostModule } from './metrics-cost.js';
import { postgresModule } from './postgres.js';
import { profileModule } from './profile.js';
import { revocationModule } from './revocation.js';
import { tracingModule } from './tracing.js';

/** Every benchmark, in run order; each says itself when it cannot run here. */
export const MODULES: BenchModule[] = [apiModule, postgresModule, growthModule, footprintModule, profileModule, authModule, importModule, revocationModule, capacityModule, latencyModule, metricsCostModule, tracingModule];
