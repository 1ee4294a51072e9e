import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readmeScreenshots } from '../screenshots.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const images = [...README.matchAll(/!\[[^\]]*\]\(([^)\s]+)\)/g)].map((m) => m[1]!);

describe('README.md', () => {
  it('shows only images that are in the repository (not ignored, so they reach the repository page)', () => {
    expect(images.length).toBeGreaterThan(0);
    for (const image of images) {
      expect(existsSync(join(ROOT, image)), `${image} exists`).toBe(true);
      const ignored = spawnSync('git', ['check-ignore', '-q', image], { cwd: ROOT }).status === 0;
      expect(ignored, `${image} is git-ignored`).toBe(false);
    }
  });

  it('shows screenshots that `pnpm screenshots` copies from the e2e run', () => {
    const names = readmeScreenshots(README);
    expect(names.length).toBeGreaterThan(0);
    expect(names.map((n) => `docs/screenshots/${n}`).sort()).toEqual(images.filter((i) => i.startsWith('docs/screenshots/')).sort());
    // The flows take them, the demo user's through @kit/harness/journeys (demoUserJourney).
    const flows = ['e2e/flows.test.ts', 'e2e/connected-apps.test.ts', 'e2e/mcp-agent.test.ts', 'packages/harness/src/journeys.ts'].map((file) => readFileSync(join(ROOT, file), 'utf8')).join('\n');
    for (const name of names) expect(flows, `e2e/flows.test.ts, e2e/connected-apps.test.ts, e2e/mcp-agent.test.ts (or the journeys) take ${name}`).toContain(`'${name.replace(/\.png$/, '')}'`);
  });

  it('keeps the e2e run’s own screenshots out of the repository', () => {
    const tracked = execFileSync('git', ['ls-files', 'e2e/screenshots'], { cwd: ROOT, encoding: 'utf8' });
    expect(tracked).toBe('');
  });
});
