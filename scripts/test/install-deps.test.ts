import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// scripts/start.sh and scripts/test.sh install through toolchain.sh's install_deps. A checkout
// installed under one HOME (one pnpm store) and installed again under another made pnpm ask
// before rebuilding node_modules, and fail without a terminal. Reproduced on a tiny workspace
// carrying the project's own .npmrc and pnpm-workspace.yaml settings, with a dependency from a
// local tarball (no network), stdin not a terminal and CI unset.
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const TOOLCHAIN = join(ROOT, 'scripts/lib/toolchain.sh');
const PURGE_SETTING = /^confirmModulesPurge:.*\n/m;

let dir: string;

/** Only what pnpm needs: no CI (CI=true hides the prompt), no inherited npm_config_*. */
function envFor(home: string): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: home, npm_config_update_notifier: 'false' };
}

function run(command: string, args: string[], cwd: string, home: string) {
  const result = spawnSync(command, args, { cwd, env: envFor(home), stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** A workspace installed under HOME a (its node_modules records a's store); returns its path. */
function workspaceInstalledUnderA(name: string, workspaceYaml: string): string {
  const ws = join(dir, name);
  mkdirSync(ws);
  copyFileSync(join(ROOT, '.npmrc'), join(ws, '.npmrc'));
  writeFileSync(join(ws, 'pnpm-workspace.yaml'), workspaceYaml);
  copyFileSync(join(dir, 'tiny-1.0.0.tgz'), join(ws, 'tiny-1.0.0.tgz'));
  writeFileSync(join(ws, 'package.json'), JSON.stringify({ name, private: true, dependencies: { tiny: 'file:tiny-1.0.0.tgz' } }));
  const first = run('pnpm', ['install'], ws, join(dir, 'home-a'));
  expect(first.status, first.output).toBe(0);
  expect(readFileSync(join(ws, 'node_modules/.modules.yaml'), 'utf8')).toContain(join(dir, 'home-a'));
  return ws;
}

/** install_deps as start.sh runs it, under HOME b, stdin not a terminal. */
function installDepsUnderB(ws: string) {
  return run('bash', ['-c', '. "$0" && install_deps "$1"', TOOLCHAIN, ws], ws, join(dir, 'home-b'));
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'install-deps-'));
  mkdirSync(join(dir, 'tiny/package'), { recursive: true });
  writeFileSync(join(dir, 'tiny/package/package.json'), JSON.stringify({ name: 'tiny', version: '1.0.0', main: 'index.js' }));
  writeFileSync(join(dir, 'tiny/package/index.js'), 'module.exports = 42;\n');
  execFileSync('tar', ['-czf', join(dir, 'tiny-1.0.0.tgz'), '-C', join(dir, 'tiny'), 'package']);
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('install_deps (scripts/start.sh, scripts/test.sh)', () => {
  const projectYaml = readFileSync(join(ROOT, 'pnpm-workspace.yaml'), 'utf8');

  it('rebuilds node_modules installed under another HOME without a terminal, and never prompts', () => {
    const ws = workspaceInstalledUnderA('project-settings', projectYaml);
    const second = installDepsUnderB(ws);
    expect(second.status, second.output).toBe(0);
    expect(second.output).not.toMatch(/ERR_PNPM|Proceed\?/);
    expect(readFileSync(join(ws, 'node_modules/.modules.yaml'), 'utf8')).toContain(join(dir, 'home-b'));
    expect(run('node', ['-p', "require('tiny')"], ws, join(dir, 'home-b')).output.trim()).toBe('42');
  }, 120_000);

  it('fails that way without the project setting (the reproduction is real)', () => {
    expect(projectYaml).toMatch(PURGE_SETTING);
    const ws = workspaceInstalledUnderA('without-setting', projectYaml.replace(PURGE_SETTING, ''));
    const second = installDepsUnderB(ws);
    expect(second.status).not.toBe(0);
    expect(readFileSync(join(ws, 'node_modules/.modules.yaml'), 'utf8')).toContain(join(dir, 'home-a'));
    // install_deps installs with --reporter=silent; without it pnpm names the reason.
    const plain = run('pnpm', ['install', '--frozen-lockfile'], ws, join(dir, 'home-b'));
    expect(plain.output).toContain('ERR_PNPM_ABORTED_REMOVE_MODULES_DIR_NO_TTY');
  }, 120_000);
});
