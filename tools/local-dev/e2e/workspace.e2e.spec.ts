/**
 * The workspace as a user meets it: the real nx CLI on a temporary workspace with this repo's
 * plugin. Checks the inferred projects, the graph edges, the target wiring, that --namespace
 * reaches every task of a chain, and what a broken config.yaml looks like.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { createTempWorkspace, initWorkspace, type TempWorkspace } from './support/temp-workspace';

const CONFIG = `
network: test-network
default-namespace: s1
services:
  health-api:
    repo: file:///nowhere/health-api.git
    ports: ["18000:8000"]
    depends-on: [scheduler-api]
  scheduler-api:
    repo: file:///nowhere/scheduler-api.git
    ports: ["18010:8010"]
  oms-api:
    repo: file:///nowhere/oms.git
    ports: ["18080:8080"]
    workers:
      oms-worker: { dockerfile: oms-worker.dev.Dockerfile }
      oms-consumer-worker: {}
`;

jest.setTimeout(120_000);

describe('the Nx workspace (real nx CLI)', () => {
  let workspace: TempWorkspace;

  beforeAll(async () => {
    workspace = createTempWorkspace({ config: CONFIG, name: 'graph' });
    await initWorkspace(workspace);
  });
  afterAll(() => workspace.remove());

  it('lists one project per service and worker, plus the shared ones', async () => {
    const result = await workspace.nx(['show', 'projects', '--json']);
    expect(result.code).toBe(0);
    expect((JSON.parse(result.stdout) as string[]).sort()).toEqual([
      'docker-compose',
      'health-api',
      'oms-api',
      'oms-consumer-worker',
      'oms-worker',
      'redis-tunnel',
      'scheduler-api',
      'stack',
    ]);
  });

  it('draws depends-on and worker → owner as graph edges', async () => {
    const graphFile = path.join(workspace.root, 'graph.json');
    const result = await workspace.nx(['graph', `--file=${graphFile}`]);
    expect(result.code).toBe(0);
    const { graph } = JSON.parse(readFileSync(graphFile, 'utf8')) as { graph: { dependencies: Record<string, { target: string }[]> } };
    const edges = (project: string) => graph.dependencies[project].map((dependency) => dependency.target).sort();
    expect(edges('health-api')).toEqual(['scheduler-api']);
    expect(edges('oms-worker')).toEqual(['oms-api']);
    expect(edges('oms-consumer-worker')).toEqual(['oms-api']);
    expect(edges('oms-api')).toEqual([]);
  });

  it('shows a worker’s targets reusing its owner’s clone', async () => {
    const result = await workspace.nx(['show', 'project', 'oms-worker', '--json']);
    expect(result.code).toBe(0);
    const project = JSON.parse(result.stdout) as { targets: Record<string, { executor: string; dependsOn?: unknown[] }> };
    expect(Object.keys(project.targets).sort()).toEqual(['build-image', 'clone', 'dev', 'down', 'inject-config', 'logs', 'up']);
    expect(project.targets.clone).toMatchObject({ executor: 'nx:noop', dependsOn: [{ projects: ['oms-api'], target: 'clone', params: 'forward' }] });
    expect(project.targets['build-image'].executor).toBe('@local-dev/nx-plugin:build-image');
  });

  it('forwards --namespace to every task the chain pulls in', async () => {
    const graphFile = path.join(workspace.root, 'tasks.json');
    const result = await workspace.nx(['run', 'oms-worker:up', '--namespace=s2', `--graph=${graphFile}`]);
    expect(result.code).toBe(0);
    const { tasks } = JSON.parse(readFileSync(graphFile, 'utf8')) as {
      tasks: { tasks: Record<string, { overrides: { namespace?: string } }>; dependencies: Record<string, string[]> };
    };
    expect(Object.keys(tasks.tasks).sort()).toEqual([
      'docker-compose:generate',
      'oms-api:build-image',
      'oms-api:clone',
      'oms-api:inject-config',
      'oms-api:up',
      'oms-worker:build-image',
      'oms-worker:inject-config',
      'oms-worker:up',
      'redis-tunnel:up',
    ]);
    for (const task of Object.values(tasks.tasks)) expect(task.overrides.namespace).toBe('s2');
    expect(tasks.dependencies['oms-worker:up'].sort()).toEqual(['docker-compose:generate', 'oms-api:up', 'oms-worker:build-image', 'redis-tunnel:up']);
  });

  it('stops a run with an unknown, empty or path-like namespace before any task, with exit status 1 (not 130, read as Ctrl-C)', async () => {
    const unknown = await workspace.nx(['run', 'oms-worker:inject-config', '--namespace=s9']);
    expect(unknown.code).toBe(1);
    expect(unknown.output).toContain('unknown namespace "s9": configs/s9/ does not exist');
    expect(unknown.output).toContain('namespaces here: s1, s2');
    expect(unknown.output).not.toContain('nx run oms-api:clone');

    // Before the check, the batched clone refused it once per repo and Nx exited with 130.
    const pathLike = await workspace.nx(['run-many', '-t', 'clone', '--namespace=../etc']);
    expect(pathLike.code).toBe(1);
    expect(pathLike.output).toContain('namespace "../etc" is not a plain folder name');

    // `--namespace=` with its value forgotten used to run the default namespace (s1's secrets).
    const empty = await workspace.nx(['run-many', '-t', 'inject-config', '--namespace=']);
    expect(empty.code).toBe(1);
    expect(empty.output).toContain('--namespace is empty');
    expect(empty.output).toContain('namespaces here: s1, s2');
    expect(existsSync(path.join(workspace.root, 'cloned'))).toBe(false);
  });

  it('exits with 1 when a task fails and the tasks after it are skipped (Nx 23.3.1 said 130, Ctrl-C; scripts/patch-nx.js)', async () => {
    // oms-api's repo does not exist: its clone fails and oms-worker's clone, which waits for it, is skipped.
    const result = await workspace.nx(['run', 'oms-worker:clone']);
    expect(result.output).toContain('Tasks not run because their dependencies failed');
    expect(result.output).toContain('- oms-worker:clone');
    expect(result.code).toBe(1);
  });
});

describe('config.yaml changes seen by nx', () => {
  let workspace: TempWorkspace;
  beforeEach(async () => {
    workspace = createTempWorkspace({ config: CONFIG, name: 'edit' });
    await initWorkspace(workspace);
  });
  afterEach(() => workspace.remove());

  it('reports a broken config as a list of problems, not a stack trace', async () => {
    workspace.write('repos_docker_files/config.yaml', CONFIG.replace('depends-on: [scheduler-api]', 'depends-on: [schedular-api]'));
    const result = await workspace.nx(['show', 'projects']);
    expect(result.code).not.toBe(0);
    expect(result.output).toContain('repos_docker_files/config.yaml:8: health-api depends on "schedular-api", which is not a service');
    expect(result.output).toContain('fix: did you mean "scheduler-api"?');
    expect(result.output).not.toMatch(/^\s+at .+\(.+:\d+:\d+\)$/m);
  });

  it('refuses shell syntax in a configs source when it reads the config, before anything can run it', async () => {
    const pwned = path.join(workspace.root, 'pwned');
    workspace.write(
      'repos_docker_files/config.yaml',
      CONFIG.replace('    ports: ["18010:8010"]', `    ports: ["18010:8010"]\n    configs:\n      - { source: "x;touch ${pwned};echo", dest: ok.py }`),
    );
    const shown = await workspace.nx(['show', 'projects']);
    expect(shown.code).not.toBe(0);
    expect(shown.output).toContain('services.scheduler-api.configs.0.source: "x;touch');
    expect(shown.output).toContain('contains ";", a space');
    const built = await workspace.nx(['run', 'scheduler-api:build-image']);
    expect(built.code).not.toBe(0);
    expect(existsSync(pwned)).toBe(false);
  });

  it('writes nothing while Nx builds its graph; nx sync gives a service added to config.yaml its project folder, and sync:check says when one is missing', async () => {
    workspace.write('repos_docker_files/config.yaml', `${CONFIG}  billing:\n    repo: file:///nowhere/billing.git\n`);
    const first = await workspace.nx(['show', 'projects']);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('billing');
    expect(existsSync(path.join(workspace.root, 'services/billing'))).toBe(false);
    const status = await workspace.run('git', ['status', '--porcelain', '--untracked-files=all']);
    expect(status.stdout).toBe(' M repos_docker_files/config.yaml\n');

    const check = await workspace.nx(['sync:check']);
    expect(check.code).not.toBe(0);
    expect(check.output).toContain('services without a project folder (services/billing/)');

    const synced = await workspace.nx(['sync']);
    expect(synced.code).toBe(0);
    expect(existsSync(path.join(workspace.root, 'services/billing/README.md'))).toBe(true);
    expect((await workspace.nx(['sync:check'])).code).toBe(0);
    const shown = await workspace.nx(['show', 'project', 'billing', '--json']);
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({ name: 'billing', root: 'services/billing' });
  });

  it('shows a description, technologies and a help command for every target (nx show project --json)', async () => {
    const shown = await workspace.nx(['show', 'project', 'health-api', '--json']);
    expect(shown.code).toBe(0);
    const targets = (JSON.parse(shown.stdout) as { targets: Record<string, { metadata?: { description?: string; help?: { command?: string } } }> }).targets;
    for (const name of ['clone', 'inject-config', 'build-image', 'up', 'down', 'logs']) {
      expect(targets[name].metadata?.description?.length).toBeGreaterThan(10);
      expect(targets[name].metadata?.help?.command).toBe(`node tools/local-dev/runtime/target-help.js ${name}`);
    }
    const help = await workspace.run('sh', ['-c', targets.up.metadata?.help?.command ?? 'false']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--namespace');
  });
});
