#!/usr/bin/env node
// `pnpm screenshots`: runs the browser flows (e2e/flows.test.ts, e2e/connected-apps.test.ts,
// e2e/mcp-agent.test.ts), which save a screenshot of every
// page in e2e/screenshots/ (ignored), then copies the ones README.md shows into docs/screenshots/
// (committed), so the pictures on the repository page are the current pages.
// `--copy-only` skips the run and copies what the last e2e run left.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const TAKEN = join(ROOT, 'e2e/screenshots');
const SHOWN = join(ROOT, 'docs/screenshots');
/** The e2e files whose pages README shows. */
const FLOWS = ['flows.test.ts', 'connected-apps.test.ts', 'mcp-agent.test.ts'];

/** The screenshot names README.md shows, e.g. `docs/screenshots/home-logged-in.png` → `home-logged-in.png`. */
export function readmeScreenshots(readme) {
  return [...new Set([...readme.matchAll(/\(docs\/screenshots\/([\w.-]+\.png)\)/g)].map((m) => m[1]))];
}

function main(args) {
  if (args.includes('--help')) {
    console.log('usage: pnpm screenshots [--copy-only]');
    return 0;
  }
  if (!args.includes('--copy-only')) {
    const run = spawnSync('pnpm', ['vitest', 'run', '--project', 'e2e', ...FLOWS], { cwd: ROOT, stdio: 'inherit' });
    if (run.status !== 0) {
      console.error('[screenshots] the e2e flows failed; nothing copied');
      return 1;
    }
  }
  const names = readmeScreenshots(readFileSync(join(ROOT, 'README.md'), 'utf8'));
  const missing = names.filter((name) => !existsSync(join(TAKEN, name)));
  if (missing.length > 0) {
    console.error(`[screenshots] README shows screenshots the e2e run did not take: ${missing.join(', ')}`);
    return 1;
  }
  mkdirSync(SHOWN, { recursive: true });
  for (const stale of readdirSync(SHOWN).filter((f) => !names.includes(f))) rmSync(join(SHOWN, stale));
  for (const name of names) copyFileSync(join(TAKEN, name), join(SHOWN, name));
  console.log(`[screenshots] ${names.length} screenshots copied to docs/screenshots/`);
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
