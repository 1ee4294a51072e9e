// Types for workspace-boundaries.js (plain JavaScript, loaded by eslint.config.js without a build).
import type { ESLint } from 'eslint';

declare const plugin: ESLint.Plugin;
export default plugin;
