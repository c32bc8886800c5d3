/**
 * `npm run demo`: the sample stack in examples/demo/ (its own Nx workspace, the same plugin), from
 * nothing to running, on a machine with Node, Docker, git and redis-server (scripts/setup-machine.sh):
 *
 *   1. links examples/demo/tools and node_modules to this repository's (the plugin and Nx);
 *   2. makes sure the base image its Dockerfiles start FROM (debian:bookworm-slim) exists: one that
 *      is there is never replaced; a missing one is pulled, or made from Debian's packages where no
 *      registry answers (tools/local-dev/src/docker/base-image.ts), once per machine;
 *   3. makes each sample repo's local remote (examples/demo/remotes/<name>.git) from
 *      examples/demo/repos/<name>/, once; later runs leave the remotes alone (they are yours now);
 *   4. creates the namespace files from their templates, and the demo's registry token in
 *      examples/demo/.env.local, when missing;
 *   5. runs `nx run-many -t up` in examples/demo: clone → inject-config → build-image → up;
 *   6. prints the URLs and what to try next. It opens nothing.
 *
 * `npm run demo -- --down` stops it all: containers, network, the local Redis (`nx run stack:stop`).
 * Other flags: `--refresh`, `--namespace=s2`, passed to nx.
 *
 * No text from a file or a flag reaches a shell: every command is an argument list.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { WorkspaceModel } from '../tools/local-dev/src/config/model';
import { redisModeFor } from '../tools/local-dev/src/config/model';
import { describeFailure } from '../tools/local-dev/src/core/edge';
import { UsageError } from '../tools/local-dev/src/core/errors';
import { exec } from '../tools/local-dev/src/core/exec';
import { ensureBaseImages, type BaseImageOutcome } from '../tools/local-dev/src/docker/base-image';

export const REPO_ROOT = path.resolve(__dirname, '..');
export const DEMO_ROOT = path.join(REPO_ROOT, 'examples', 'demo');
/** The demo's stand-in for a private-registry token: not a secret, but passed exactly like one. */
export const DEMO_TOKEN = { name: 'DEMO_REGISTRY_TOKEN', value: 'demo-registry-token-not-a-secret' };

export interface DemoOptions {
  down: boolean;
  refresh: boolean;
  namespace: string | undefined;
}

/** `npm run demo -- [--down] [--refresh] [--namespace=s2]` → options. Pure. */
export function parseDemoArgs(argv: readonly string[]): DemoOptions {
  const options: DemoOptions = { down: false, refresh: false, namespace: undefined };
  for (const arg of argv) {
    const namespace = /^--namespace=(.+)$/.exec(arg);
    if (arg === '--down') options.down = true;
    else if (arg === '--refresh') options.refresh = true;
    else if (namespace) options.namespace = namespace[1];
    else throw new UsageError(`npm run demo: unknown argument "${arg}"`, { fix: 'use --down, --refresh or --namespace=<s1|s2>' });
  }
  return options;
}

/** The nx command of a demo run. Pure. */
export function nxArgs(options: DemoOptions): string[] {
  if (options.down) return ['run', 'stack:stop'];
  return ['run-many', '-t', 'up', ...(options.namespace ? [`--namespace=${options.namespace}`] : []), ...(options.refresh ? ['--refresh'] : [])];
}

/** What the user reads once the demo runs: every URL, its debugger, which Redis, and what to try. Pure. */
export function nextSteps(model: WorkspaceModel, namespace: string): string {
  const width = Math.max(...model.services.map((service) => service.name.length));
  const lines = [
    `The demo runs (namespace ${namespace}; Redis: ${redisModeFor(model.redis, namespace) === 'local' ? 'a local redis-server' : 'the kubectl tunnel'} on port ${model.redis.port}, REDIS_HOST=host.docker.internal in the containers):`,
  ];
  for (const service of model.services) {
    const published = service.ports[0];
    const where = published ? `http://localhost:${published.host}/` : `a worker of ${service.owner} (no port)`;
    const debug = service.debug ? `   debugger: 127.0.0.1:${service.debug.hostPort}` : '';
    lines.push(`  ${service.name.padEnd(width)}  ${where}${debug}`);
  }
  const api = model.services.find((service) => service.debug) ?? model.services[0];
  const apiUrl = `http://localhost:${api.ports[0]?.host ?? 0}/`;
  lines.push(
    '',
    "Debug it: each clone has a .vscode/launch.json local-dev filled in with its debugger's port, e.g.",
    `  code examples/demo/cloned/${api.dir}       Run and Debug → "Attach to ${api.name} (local-dev, ${namespace})", a breakpoint in demo_api/views.py, then curl ${apiUrl}`,
    '',
    'Try next:',
    `  curl ${apiUrl}                     a page: its namespace value, Redis, a call to another service by name`,
    '  curl -X POST http://localhost:18083/orders   queue an order: demo-orders-worker and demo-orders-mailer take it from Redis',
    '  edit examples/demo/cloned/demo-catalog/items.txt, then `npm run demo` again: only demo-catalog is rebuilt',
    '  npm run demo -- --refresh                   bring the sample clones to their remotes (local edits are saved first)',
    "  npm run demo -- --namespace=s2              the same stack with s2's injected values",
    '  (cd examples/demo && npx nx run stack:status)                 every service, and which Redis is in use',
    '  (cd examples/demo && npx nx run redis-tunnel:status)          the local Redis and its supervisor',
    "  (cd examples/demo && npx nx run demo-orders-worker:logs)      a worker's logs",
    '  npm run demo -- --down                      stop it all: containers, network, the local Redis',
    '',
    'How it works: docs/demo.md',
  );
  return lines.join('\n');
}

/** examples/demo/tools and node_modules point at this repository's, so the demo runs the same plugin and Nx. */
function linkRepository(log: (line: string) => void): void {
  for (const name of ['tools', 'node_modules']) {
    const link = path.join(DEMO_ROOT, name);
    if (isThere(link)) continue;
    symlinkSync(path.join('..', '..', name), link, 'dir');
    log(`linked examples/demo/${name} → ${name}`);
  }
}

function isThere(file: string): boolean {
  try {
    lstatSync(file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

/** The texts of the demo's dev Dockerfiles (repos_docker_files/*.Dockerfile). */
export function demoDockerfiles(): string[] {
  const folder = path.join(DEMO_ROOT, 'repos_docker_files');
  return readdirSync(folder)
    .filter((file) => file.endsWith('.Dockerfile'))
    .sort()
    .map((file) => readFileSync(path.join(folder, file), 'utf8'));
}

/** What the run says about the base images: nothing for one that was there. Pure. */
export function describeBaseImages(outcomes: readonly BaseImageOutcome[]): string[] {
  return outcomes
    .filter((outcome) => outcome.how !== 'present')
    .map(
      (outcome) =>
        `base image ${outcome.image}: ${outcome.how === 'pulled' ? 'pulled' : "made from Debian's packages"} in ${outcome.seconds.toFixed(0)} s (once per machine)`,
    );
}

/** The sample repos' names: the folders of examples/demo/repos/. */
export function sampleRepos(): string[] {
  return readdirSync(path.join(DEMO_ROOT, 'repos'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

const DEMO_AUTHOR = 'demo@local-dev.invalid';
const GIT_IDENTITY = ['-c', `user.email=${DEMO_AUTHOR}`, '-c', 'user.name=local-dev demo', '-c', 'commit.gpgsign=false'];

/** `bare`: a new bare repo with one commit on main holding the folder `sample`. */
export async function makeSampleRemote(bare: string, sample: string, name: string): Promise<void> {
  const work = mkdtempSync(path.join(os.tmpdir(), `local-dev-demo-${name}-`));
  try {
    await exec('git', ['init', '-q', '-b', 'main', work]);
    await exec('git', [...GIT_IDENTITY, '-C', work, '--work-tree', sample, 'add', '-A']);
    await exec('git', [...GIT_IDENTITY, '-C', work, '--work-tree', sample, 'commit', '-q', '-m', `${name}: the sample repo of the local-dev demo`]);
    mkdirSync(path.dirname(bare), { recursive: true });
    await exec('git', ['clone', '-q', '--bare', work, bare]);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * A remote made by an earlier version of the demo (every commit on its main is the demo's own) whose
 * files differ from `sample` gets one more commit on main with this version's files: its history is
 * kept, and a remote holding a commit of yours is left as it is. True when main moved.
 */
export async function updateSampleRemote(bare: string, sample: string, name: string, log: (line: string) => void): Promise<boolean> {
  const work = mkdtempSync(path.join(os.tmpdir(), `local-dev-demo-${name}-`));
  const index = { GIT_INDEX_FILE: path.join(work, 'index') };
  try {
    await exec('git', ['--git-dir', bare, '--work-tree', sample, 'add', '-A', '.'], { env: index });
    const tree = (await exec('git', ['--git-dir', bare, 'write-tree'], { env: index })).stdout.trim();
    const head = (await exec('git', ['--git-dir', bare, 'rev-parse', 'refs/heads/main'])).stdout.trim();
    if ((await exec('git', ['--git-dir', bare, 'rev-parse', `${head}^{tree}`])).stdout.trim() === tree) return false;
    const authors = (await exec('git', ['--git-dir', bare, 'log', '--format=%ae', head])).stdout.split('\n').filter(Boolean);
    if (authors.some((author) => author !== DEMO_AUTHOR)) {
      log(`examples/demo/remotes/${name}.git holds commits of yours: left as it is (this version's sample is examples/demo/repos/${name}/)`);
      return false;
    }
    const commit = (
      await exec('git', [
        ...GIT_IDENTITY,
        '--git-dir',
        bare,
        'commit-tree',
        tree,
        '-p',
        head,
        '-m',
        `${name}: the sample repo of this version of the local-dev demo`,
      ])
    ).stdout.trim();
    await exec('git', ['--git-dir', bare, 'update-ref', 'refs/heads/main', commit, head]);
    log(`updated examples/demo/remotes/${name}.git to this version of the demo's sample (one more commit on main)`);
    return true;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * remotes/<name>.git with one commit on main holding repos/<name>/, made once; one an earlier demo
 * made is brought to this version's sample. True when a remote moved (the clones then need --refresh).
 */
async function ensureRemotes(log: (line: string) => void): Promise<boolean> {
  let moved = false;
  for (const name of sampleRepos()) {
    const bare = path.join(DEMO_ROOT, 'remotes', `${name}.git`);
    const sample = path.join(DEMO_ROOT, 'repos', name);
    if (existsSync(bare)) {
      moved = (await updateSampleRemote(bare, sample, name, log)) || moved;
      continue;
    }
    await makeSampleRemote(bare, sample, name);
    log(`made the sample repo examples/demo/remotes/${name}.git`);
  }
  return moved;
}

/** configs/<ns>/<file> from <file>.example when missing (demo values; never overwrites), and the registry token. */
function ensureSecrets(log: (line: string) => void): void {
  const configs = path.join(DEMO_ROOT, 'configs');
  for (const namespace of readdirSync(configs)) {
    for (const template of readdirSync(path.join(configs, namespace)).filter((file) => file.endsWith('.example'))) {
      const real = path.join(configs, namespace, template.replace(/\.example$/, ''));
      if (existsSync(real)) continue;
      copyFileSync(path.join(configs, namespace, template), real);
      log(`created examples/demo/configs/${namespace}/${path.basename(real)} from its template`);
    }
  }
  const envLocal = path.join(DEMO_ROOT, '.env.local');
  if (!existsSync(envLocal)) {
    writeFileSync(
      envLocal,
      `# The demo's stand-in for a private-registry token (demo-web's build needs it as a BuildKit secret).\n${DEMO_TOKEN.name}=${DEMO_TOKEN.value}\n`,
      { mode: 0o600 },
    );
    log(`created examples/demo/.env.local with the demo's ${DEMO_TOKEN.name}`);
  }
}

/** Runs nx in the demo workspace with the terminal attached; resolves with its exit code. */
function runNx(args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    // No Nx daemon: `--down` must leave nothing of the demo running.
    const child = spawn(path.join(DEMO_ROOT, 'node_modules', '.bin', 'nx'), args, {
      cwd: DEMO_ROOT,
      stdio: 'inherit',
      env: { ...process.env, NX_DAEMON: 'false', NX_TUI: 'false', NX_NO_CLOUD: 'true' },
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

export async function demo(options: DemoOptions, log: (line: string) => void): Promise<number> {
  linkRepository(log);
  if (options.down) {
    log('stopping the demo: `nx run stack:stop` in examples/demo');
    return runNx(nxArgs(options));
  }
  for (const line of describeBaseImages(await ensureBaseImages(demoDockerfiles(), log))) log(line);
  // Clones of a sample that moved are brought to it (your edits in them are saved first, as always).
  const run = (await ensureRemotes(log)) ? { ...options, refresh: true } : options;
  ensureSecrets(log);
  log(`running \`nx ${nxArgs(run).join(' ')}\` in examples/demo`);
  const code = await runNx(nxArgs(run));
  if (code !== 0) return code;
  // Lazy: yaml and zod load only here, after nx validated the same file.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { loadConfig } = require('../tools/local-dev/src/config/load') as typeof import('../tools/local-dev/src/config/load');
  const model = loadConfig(DEMO_ROOT);
  log(`\n${nextSteps(model, options.namespace ?? model.defaultNamespace)}`);
  return 0;
}

if (require.main === module) {
  const log = (line: string) => process.stdout.write(`${line.startsWith('\n') ? '' : '[demo] '}${line}\n`);
  // The one place an error becomes output and an exit code.
  Promise.resolve()
    .then(() => demo(parseDemoArgs(process.argv.slice(2)), log))
    .then(
      (code) => process.exit(code),
      (error: unknown) => {
        process.stderr.write(`${describeFailure('npm run demo', error)}\n`);
        process.exit(1);
      },
    );
}
