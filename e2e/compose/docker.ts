// The Docker CLI and Compose for the compose test: run a command, wait for containers to be
// healthy, read what an image is made of. `docker-compose` (v1, Debian's package) or the
// `docker compose` plugin, whichever is installed. The legacy builder (DOCKER_BUILDKIT=0): BuildKit
// would fetch its Dockerfile frontend from Docker Hub, which the stand-in machines cannot reach.
// docker-compose v1 hands builds to the docker CLI (COMPOSE_DOCKER_CLI_BUILD=1): its own Python
// client walks every node_modules folder to apply .dockerignore, about a minute per image here.
import { spawn, spawnSync } from 'node:child_process';
import { ROOT } from '@kit/harness/caddy';

export const BUILD_ENV = { DOCKER_BUILDKIT: '0', COMPOSE_DOCKER_CLI_BUILD: '1' };

/** Why Docker cannot run here (the test then skips), or undefined when it can. */
export function dockerUnavailable(): string | undefined {
  const info = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { encoding: 'utf8' });
  if (info.error) return 'the docker CLI is not installed';
  if (info.status !== 0) return `no Docker engine answers (${info.stderr.trim().split('\n').at(-1)}); scripts/docker/engine.sh up starts one where it can`;
  if (!composeCommand()) return 'neither docker-compose nor the docker compose plugin is installed';
  return undefined;
}

function composeCommand(): string[] | undefined {
  if (spawnSync('docker-compose', ['version'], { encoding: 'utf8' }).status === 0) return ['docker-compose'];
  if (spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' }).status === 0) return ['docker', 'compose'];
  return undefined;
}

export interface RunResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs a command from the repository root; rejects (with the output's tail) unless it exits 0 or `allowFailure`. */
export function run(command: string[], options: { env?: Record<string, string>; input?: string; timeoutMs?: number; allowFailure?: boolean } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0]!, command.slice(1), {
      cwd: ROOT,
      env: { ...process.env, ...BUILD_ENV, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGTERM'), options.timeoutMs ?? 600_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const result = { status: code ?? 1, stdout, stderr };
      if (result.status === 0 || options.allowFailure) return resolve(result);
      const tail = `${stdout}\n${stderr}`.trim().split('\n').slice(-40).join('\n');
      reject(new Error(`${command.slice(0, 6).join(' ')} … exited ${result.status}\n${tail}`));
    });
    child.stdin.end(options.input ?? '');
  });
}

export function docker(args: string[], options: Parameters<typeof run>[1] = {}): Promise<RunResult> {
  return run(['docker', ...args], options);
}

/** One compose project: its name (COMPOSE_PROJECT_NAME), files and environment. */
export class ComposeProject {
  constructor(
    readonly name: string,
    readonly files: string[],
    readonly env: Record<string, string> = {},
  ) {}

  run(args: string[], options: Parameters<typeof run>[1] = {}): Promise<RunResult> {
    const command = composeCommand();
    if (!command) throw new Error('no docker-compose');
    return run([...command, '-p', this.name, ...this.files.flatMap((f) => ['-f', f]), ...args], {
      ...options,
      env: { COMPOSE_PROJECT_NAME: this.name, ...this.env, ...options.env },
    });
  }

  async containerIds(): Promise<string[]> {
    return (await this.run(['ps', '-q'])).stdout.split('\n').filter(Boolean);
  }

  /** The service name and health of every container with a health check ('none' without one). */
  async health(): Promise<{ service: string; state: string; health: string }[]> {
    const ids = await this.containerIds();
    if (ids.length === 0) return [];
    const format = '{{ index .Config.Labels "com.docker.compose.service" }} {{ .State.Status }} {{ if .State.Health }}{{ .State.Health.Status }}{{ else }}none{{ end }}';
    const { stdout } = await docker(['inspect', '--format', format, ...ids]);
    return stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [service = '', state = '', health = ''] = line.split(' ');
        return { service, state, health };
      });
  }

  /** Until every running container with a health check is healthy (and `services` are all there); the seconds it took. */
  async waitHealthy(services: string[], timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const containers = await this.health();
      const running = containers.filter((c) => c.state === 'running');
      const missing = services.filter((s) => !running.some((c) => c.service === s));
      const unhealthy = running.filter((c) => c.health !== 'none' && c.health !== 'healthy');
      if (missing.length === 0 && unhealthy.length === 0) return;
      if (Date.now() > deadline) {
        const logs = await this.run(['logs', '--tail=30'], { allowFailure: true });
        throw new Error(`${this.name}: not healthy in time: ${JSON.stringify(containers)}\n${logs.stdout.split('\n').slice(-80).join('\n')}`);
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  }

  /** `down -v`: containers, networks and volumes of this project. */
  down(): Promise<RunResult> {
    return this.run(['down', '-v', '--remove-orphans', '-t', '5'], { allowFailure: true });
  }
}

export interface ImageFacts {
  sizeBytes: number;
  user: string;
  healthcheck: string[];
}

export async function imageFacts(image: string): Promise<ImageFacts> {
  const { stdout } = await docker(['image', 'inspect', '--format', '{{ json . }}', image]);
  const info = JSON.parse(stdout) as { Size: number; Config: { User: string; Healthcheck?: { Test: string[] } } };
  return { sizeBytes: info.Size, user: info.Config.User, healthcheck: info.Config.Healthcheck?.Test ?? [] };
}
