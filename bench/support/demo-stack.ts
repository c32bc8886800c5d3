/**
 * What the demo benchmarks share (bench/demo-runtimes.ts, bench/live.ts): running a command with its
 * output kept, the sample stack's config, `npm run demo`, the hand-made flow an engineer keeps for
 * the same clones (a hand-written compose file, `docker build --secret` for the web app,
 * `docker-compose up -d --build`), waiting for pages, one-line edits and medians.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadConfig } from '../../tools/local-dev/src/config/load';
import { detectBuildClient } from '../../tools/local-dev/src/docker/client';
import { DEMO_ROOT, DEMO_TOKEN } from '../../scripts/demo';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const model = loadConfig(DEMO_ROOT);
export const CLONED = path.join(DEMO_ROOT, 'cloned');
const DOCKERFILES = path.join(DEMO_ROOT, 'repos_docker_files');
export const PROJECT = 'demo-handmade';
/** The hand-made stack runs beside ours on ports 10000 higher. */
export const OFFSET = 10_000;

export function run(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): string {
  const result = spawnSync(command, args, {
    cwd: options.cwd ?? REPO_ROOT,
    env: { ...process.env, FORCE_COLOR: '0', ...options.env },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status}):\n${output.slice(-4000)}`);
  return output;
}

export const docker = (args: string[]) => run('docker', args).trim();
export const npmRunDemo = (args: string[] = []) => run('npm', ['run', 'demo', ...(args.length ? ['--', ...args] : [])]);

/** The hand-written compose file an engineer keeps for these clones (what local-dev writes for them, by hand). */
function handMadeCompose(): string {
  const redis = `REDIS_HOST: host.docker.internal\n      REDIS_PORT: "${model.redis.port}"`;
  const common = (debug: string) =>
    `extra_hosts: ["host.docker.internal:host-gateway"]\n    init: true\n    environment:\n      ${redis}\n      DEBUG_PORT: "${debug}"`;
  // The Dockerfiles as the engineer keeps them (not the clone's injected copy, whose <Dockerfile>.dockerignore keeps local-dev's secret files out of the image).
  const build = (dir: string, dockerfile: string) => `build: { context: ${path.join(CLONED, dir)}, dockerfile: ${path.join(DOCKERFILES, dockerfile)} }`;
  return `version: "3.8"
services:
  demo-catalog:
    ${build('demo-catalog', 'demo-catalog.dev.Dockerfile')}
    ports: ["127.0.0.1:${18082 + OFFSET}:8000", "127.0.0.1:${5727 + OFFSET}:5678"]
    ${common('5678')}
  demo-api:
    ${build('demo-api', 'demo-api.dev.Dockerfile')}
    ports: ["127.0.0.1:${18081 + OFFSET}:8000", "127.0.0.1:${5726 + OFFSET}:5678"]
    ${common('5678')}
      CATALOG_URL: http://demo-catalog:8000
    depends_on: [demo-catalog]
  demo-orders:
    ${build('demo-orders', 'demo-orders.dev.Dockerfile')}
    ports: ["127.0.0.1:${18083 + OFFSET}:8080", "127.0.0.1:${5728 + OFFSET}:2345"]
    ${common('2345')}
  demo-orders-worker:
    ${build('demo-orders', 'demo-orders-worker.dev.Dockerfile')}
    ${common('')}
  demo-orders-mailer:
    ${build('demo-orders', 'demo-orders-mailer.dev.Dockerfile')}
    ${common('')}
  demo-web:
    image: ${PROJECT}/demo-web
    ports: ["127.0.0.1:${18080 + OFFSET}:3000", "127.0.0.1:${5729 + OFFSET}:9229"]
    ${common('9229')}
      API_URL: http://demo-api:8000/
    depends_on: [demo-api, demo-orders]
`;
}

export interface HandMade {
  /** The whole stack: the web app's image by `docker build --secret`, then `docker-compose up -d --build`. */
  up(): string;
  /** `docker-compose up -d --build <services…>` (with `noDeps`, `--no-deps`: what they depend on is left as it runs). */
  upServices(services: string[], options?: { noDeps?: boolean }): string;
  down(): void;
}

export async function handMadeFlow(): Promise<HandMade> {
  // compose v1 runs `docker build` itself: the client local-dev found able to build with BuildKit goes first on PATH.
  const client = await detectBuildClient();
  const env = {
    PATH: `${path.dirname(client.program)}:${process.env.PATH}`,
    DOCKER_BUILDKIT: '1',
    COMPOSE_DOCKER_CLI_BUILD: '1',
    [DEMO_TOKEN.name]: DEMO_TOKEN.value,
  };
  const folder = mkdtempSync(path.join(os.tmpdir(), 'local-dev-bench-handmade-'));
  writeFileSync(path.join(folder, 'docker-compose.yml'), handMadeCompose());
  const compose = (args: string[]) => run('docker-compose', ['--project-name', PROJECT, ...args], { cwd: folder, env });
  return {
    up: () =>
      run(
        client.program,
        [
          'build',
          '--progress=plain',
          '--secret',
          `id=${DEMO_TOKEN.name},env=${DEMO_TOKEN.name}`,
          '--file',
          path.join(DOCKERFILES, 'demo-web.dev.Dockerfile'),
          '--tag',
          `${PROJECT}/demo-web`,
          path.join(CLONED, 'demo-web'),
        ],
        { env },
      ) + compose(['up', '--detach', '--build']),
    upServices: (services, options = {}) => compose(['up', '--detach', '--build', ...(options.noDeps ? ['--no-deps'] : []), ...services]),
    down: () => {
      compose(['down', '--remove-orphans', '--rmi', 'local']);
      spawnSync(client.program, ['rmi', '-f', `${PROJECT}/demo-web`]);
      rmSync(folder, { recursive: true, force: true });
    },
  };
}

/** The body of GET `url`, or undefined when it does not answer 200 within `timeoutMs`. */
export function bodyOf(url: string, timeoutMs = 2000): Promise<string | undefined> {
  return fetch(url, { signal: AbortSignal.timeout(timeoutMs) }).then(
    (response) => (response.ok ? response.text() : undefined),
    () => undefined,
  );
}

/** Until GET /health of every service with a port answers 200 (with `expect` in the body when given). */
export async function untilAnswering(offset: number, expect: Record<string, string> = {}, timeoutMs = 600_000): Promise<void> {
  for (const service of model.services.filter((candidate) => candidate.ports.length > 0))
    await untilServed(`http://127.0.0.1:${service.ports[0].host + offset}/health`, expect[service.name] ?? '', timeoutMs);
}

/** Until GET `url` answers 200 with `text` in its body, asking every `stepMs`. */
export async function untilServed(url: string, text: string, timeoutMs = 600_000, stepMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const body = await bodyOf(url);
    if (body !== undefined && body.includes(text)) return;
    if (Date.now() > deadline) throw new Error(`${url} did not answer with ${JSON.stringify(text)} within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, stepMs));
  }
}

export async function timed(body: () => Promise<unknown> | unknown): Promise<number> {
  const started = performance.now();
  await body();
  return (performance.now() - started) / 1000;
}

export const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** Replaces `from` by `to` in a clone's file: the one-line change. */
export function edit(file: string, from: string, to: string): void {
  const text = readFileSync(file, 'utf8');
  if (!text.includes(from)) throw new Error(`${file} has no ${JSON.stringify(from)}`);
  writeFileSync(file, text.replace(from, to));
}

export function ensureClonesClean(): void {
  for (const repo of model.repos) {
    const folder = path.join(CLONED, repo.dir);
    const status = spawnSync('git', ['-C', folder, 'status', '--porcelain'], { encoding: 'utf8' });
    if (status.status === 0 && status.stdout.trim() !== '')
      throw new Error(`${folder} holds changes of yours (git status): commit or stash them: the demo benches edit (or remove) the demo's clones`);
  }
}
