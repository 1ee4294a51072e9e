import type { BenchModule } from '../lib/context.js';
import { apiModule } from './api.js';
import { footprintModule } from './footprint.js';
import { growthModule } from './growth.js';
import { postgresModule } from './postgres.js';
import { profileModule } from './profile.js';

/** Every benchmark, in run order. The OP's benchmarks join as one more module. */
export const MODULES: BenchModule[] = [apiModule, postgresModule, growthModule, footprintModule, profileModule];
