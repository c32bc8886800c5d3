/**
 * The service generator as a user runs it, on a temp workspace with local bare repos and the real
 * engine: `nx g @local-dev/nx-plugin:service payments --repo <bare> --port <p>:8080`, then
 * `nx run payments:up` with no other command in between (no `nx sync`, no second try), and the
 * service answers. The Redis tunnel runs through the kubectl STAND-IN forwarding to a real redis-server.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { workspacePaths } from '../src/core/workspace';
import { workspaceId } from '../src/core/naming';
import { createHarness, type Harness } from './fixtures/kubectl-stand-in/harness';
import { freePort, get, removeByWorkspaceLabel } from './fixtures/stack/stack';
import { createStackWorkspace, makeBareRepo, type StackWorkspace } from './fixtures/stack/workspace';
import { initWorkspace, type RunResult } from './support/temp-workspace';

jest.setTimeout(240_000);

describe('nx g @local-dev/nx-plugin:service (real nx, real engine)', () => {
  let harness: Harness;
  let stack: StackWorkspace;
  const nx = (args: string[]) => stack.workspace.nx(args, { env: harness.env, timeoutMs: 180_000 });
  const expectOk = (result: RunResult) => expect({ code: result.code, output: result.code === 0 ? '' : result.output }).toEqual({ code: 0, output: '' });

  beforeAll(async () => {
    harness = createHarness();
    const redis = await harness.startRedis();
    stack = await createStackWorkspace({ repos: 1, workers: 0, redisPort: await freePort(), name: 'generator' });
    harness.control({ targets: { s1: `127.0.0.1:${redis.port}` } });
    harness.watchWorkspace(workspacePaths(stack.workspace.root));
    await initWorkspace(stack.workspace);
  });

  afterAll(async () => {
    if (stack) {
      await stack.workspace.nx(['run', 'redis-tunnel:down'], { env: harness.env });
      removeByWorkspaceLabel(workspaceId(stack.workspace.root));
    }
    await harness?.cleanup();
    stack?.remove();
  });

  it('--dry-run shows the change to config.yaml and writes nothing', async () => {
    const before = readFileSync(path.join(stack.workspace.root, 'repos_docker_files/config.yaml'), 'utf8');
    const result = await nx(['g', '@local-dev/nx-plugin:service', 'payments', '--repo', '/nowhere/payments.git', '--port', '18399:8080', '--dry-run']);
    expectOk(result);
    expect(result.output).toContain('+  payments:');
    expect(result.output).toContain('+    repo: /nowhere/payments.git');
    expect(result.output).toMatch(/CREATE repos_docker_files\/payments\.dev\.Dockerfile/);
    expect(readFileSync(path.join(stack.workspace.root, 'repos_docker_files/config.yaml'), 'utf8')).toBe(before);
    expect((await stack.workspace.run('git', ['status', '--porcelain'])).stdout).toBe('');
  });

  it('refuses a port another service publishes, naming the line, and writes nothing', async () => {
    const taken = stack.hostPorts['svc-0'];
    const result = await nx(['g', '@local-dev/nx-plugin:service', 'payments', '--repo', '/nowhere/payments.git', '--port', `${taken}:8080`]);
    expect(result.code).not.toBe(0);
    expect(result.output).toMatch(new RegExp(`config\\.yaml:\\d+: host port ${taken} of payments is already published by svc-0`));
    expect((await stack.workspace.run('git', ['status', '--porcelain'])).stdout).toBe('');
  });

  it('adds a service that `nx run payments:up` then starts, with no second command', async () => {
    const bare = makeBareRepo(stack.remotes, 'payments', { 'version.txt': 'payments 1\n' });
    const port = await freePort();
    expectOk(
      await nx([
        'g',
        '@local-dev/nx-plugin:service',
        'payments',
        '--repo',
        `file://${bare}`,
        '--port',
        `${port}:8080`,
        '--dockerfile-from',
        'svc-0',
        '--health-path',
        '/health',
      ]),
    );
    expectOk(await nx(['run', 'payments:up']));
    expect(await get(`http://127.0.0.1:${port}/version.txt`)).toBe('payments 1\n');
    const status = (await stack.workspace.run('git', ['status', '--porcelain', '--untracked-files=all'])).stdout.split('\n').filter(Boolean).sort();
    expect(status).toEqual([' M repos_docker_files/config.yaml', '?? repos_docker_files/payments.dev.Dockerfile', '?? services/payments/README.md']);
  });
});
