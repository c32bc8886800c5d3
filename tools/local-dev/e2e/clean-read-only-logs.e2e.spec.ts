/**
 * `clean --force` when logs/ cannot be written: what runs and what takes space (the containers, the
 * images) is freed first, since none of it needs logs/; the clone whose files are the user's, which
 * --force would move to logs/backups/, stays where it is, untouched; the clones local-dev made and
 * holding nothing else are deleted; and clean fails saying which folder it could not move and why.
 *
 * How logs/ is made read-only: a read-only bind mount of it, in a mount namespace of the command's
 * own (`unshare --mount`), so the mount dies with the command and nothing is left behind however
 * the test ends. The tests run as root, where chmod 0555 refuses nothing; a read-only mount refuses
 * root too, with the error a read-only disk gives (EROFS).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { workspacePaths } from '../src/core/workspace';
import { workspaceId } from '../src/core/naming';
import { createHarness, type Harness } from './fixtures/kubectl-stand-in/harness';
import { docker, freePort, removeByWorkspaceLabel } from './fixtures/stack/stack';
import { createStackWorkspace, type StackWorkspace } from './fixtures/stack/workspace';
import { initWorkspace, type RunResult } from './support/temp-workspace';

jest.setTimeout(240_000);

/** Mounts "$1" read-only on itself in this (private) mount namespace, then runs the rest. Arguments only, never text in the script. */
const READ_ONLY_THEN_RUN = 'mount --bind "$1" "$1" && mount -o remount,ro,bind "$1" && shift && exec "$@"';

describe('clean --force with logs/ read-only', () => {
  let harness: Harness;
  let stack: StackWorkspace;
  let wsId: string;
  const env = () => ({ ...harness.env, NX_DAEMON: 'false', NX_TUI: 'false', NX_NO_CLOUD: 'true', FORCE_COLOR: '0', NO_COLOR: '1' });
  const expectOk = (result: RunResult) => expect({ code: result.code, output: result.code === 0 ? '' : result.output }).toEqual({ code: 0, output: '' });
  const ours = (kind: 'ps' | 'images') =>
    docker([kind, ...(kind === 'ps' ? ['-a'] : []), '-q', '--filter', `label=io.local-dev.workspace=${wsId}`])
      .split('\n')
      .filter(Boolean);

  beforeAll(async () => {
    harness = createHarness();
    const redis = await harness.startRedis();
    stack = await createStackWorkspace({ repos: 2, workers: 0, redisPort: await freePort(), name: 'clean-ro-logs' });
    wsId = workspaceId(stack.workspace.root);
    harness.control({ targets: { s1: `127.0.0.1:${redis.port}` } });
    harness.watchWorkspace(workspacePaths(stack.workspace.root));
    await initWorkspace(stack.workspace);
    expectOk(await stack.workspace.nx(['run-many', '-t', 'up'], { env: env(), timeoutMs: 180_000 }));
    expect(ours('ps')).toHaveLength(2);
  });

  afterAll(async () => {
    if (stack) {
      await stack.workspace.nx(['run', 'redis-tunnel:down'], { env: env() });
      removeByWorkspaceLabel(wsId);
      const network = docker(['network', 'ls', '-q', '--filter', `name=^${stack.network}$`]);
      if (network) docker(['network', 'rm', ...network.split('\n')]);
    }
    await harness?.cleanup();
    stack?.remove();
  });

  it('frees the containers and images, deletes its own clone, keeps the one holding your file where it is, and says why', async () => {
    const root = stack.workspace.root;
    const logs = workspacePaths(root).logs;
    mkdirSync(logs, { recursive: true });
    writeFileSync(path.join(root, 'cloned', 'svc-1', '.env.mine'), 'MY_TOKEN=1\n');
    expect(ours('images').length).toBeGreaterThan(0);

    const nx = path.join(root, 'node_modules', '.bin', 'nx');
    const clean = await stack.workspace.run(
      'unshare',
      ['--mount', '--propagation', 'private', '--', 'sh', '-c', READ_ONLY_THEN_RUN, 'sh', logs, nx, 'run', 'stack:clean', '--force'],
      {
        env: env(),
        timeoutMs: 180_000,
      },
    );
    // What a user sees first: nothing runs, no image is left, their file is where it was.
    expect(ours('ps')).toEqual([]);
    expect(ours('images')).toEqual([]);
    expect(readFileSync(path.join(root, 'cloned', 'svc-1', '.env.mine'), 'utf8')).toBe('MY_TOKEN=1\n');
    expect(existsSync(path.join(root, 'cloned', 'svc-0'))).toBe(false);
    expect(clean.code).not.toBe(0);
    expect(clean.stderr).toContain(
      "clean stopped the stack and removed its images, but could not finish — nothing listed here was deleted:\n  could not remove logs/images/svc-0.json, logs/images/svc-1.json, logs/build_output.log, logs/run_metrics.json, logs/progress.json, logs/redis-tunnel.log, the Redis tunnel's state (the file system is read-only: EROFS)\n",
    );
    expect(clean.stderr).toContain(
      'could not write logs/backups/ (the file system is read-only: EROFS), so these stay where they are, untouched:\n    cloned/svc-1: 1 uncommitted or untracked file',
    );
  });
});
