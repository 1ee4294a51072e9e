import { appProject } from '../../vitest.shared.js';

export default appProject('harness');
