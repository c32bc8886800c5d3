/**
 * Stopping never needs to write a record first: with logs/ read-only, `nx run stack:restart`,
 * `nx run <service>:down` and `nx run stack:stop` still restart / free the real containers, and
 * then say which record could not be written.
 *
 * How logs/ is made read-only: a read-only bind mount of it, in a mount namespace of the command's
 * own (`unshare --mount`), so the mount dies with the command and nothing is left behind however
 * the test ends. The tests run as root, where chmod 0555 refuses nothing; a read-only mount refuses
 * root too, with the error a read-only disk gives (EROFS). The first test proves that it does here.
 */
import { mkdirSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { workspacePaths } from '../src/core/workspace';
import { workspaceId } from '../src/core/naming';
import { readTunnelState } from '../src/tunnel/state';
import { createHarness, isAlive, type Harness } from './fixtures/kubectl-stand-in/harness';
import { docker, freePort, removeByWorkspaceLabel } from './fixtures/stack/stack';
import { createStackWorkspace, type StackWorkspace } from './fixtures/stack/workspace';
import { initWorkspace, type RunResult } from './support/temp-workspace';

jest.setTimeout(240_000);

/** Mounts "$1" read-only on itself in this (private) mount namespace, then runs the rest. Arguments only, never text in the script. */
const READ_ONLY_THEN_RUN = 'mount --bind "$1" "$1" && mount -o remount,ro,bind "$1" && shift && exec "$@"';

describe('with logs/ read-only, restart, down and stop still act on the real containers', () => {
  let harness: Harness;
  let stack: StackWorkspace;
  let wsId: string;
  let logs: string;
  const env = () => ({ ...harness.env, NX_DAEMON: 'false', NX_TUI: 'false', NX_NO_CLOUD: 'true', FORCE_COLOR: '0', NO_COLOR: '1' });
  const nx = (args: string[]) => stack.workspace.nx(args, { env: env(), timeoutMs: 180_000 });
  /** Runs `command args` with logs/ mounted read-only for it alone. */
  const withReadOnlyLogs = (command: string, args: string[]) =>
    stack.workspace.run('unshare', ['--mount', '--propagation', 'private', '--', 'sh', '-c', READ_ONLY_THEN_RUN, 'sh', logs, command, ...args], {
      env: env(),
      timeoutMs: 180_000,
    });
  const nxWithReadOnlyLogs = (args: string[]) => withReadOnlyLogs(path.join(stack.workspace.root, 'node_modules', '.bin', 'nx'), args);
  const expectOk = (result: RunResult) => expect({ code: result.code, output: result.code === 0 ? '' : result.output }).toEqual({ code: 0, output: '' });
  const running = (service?: string) =>
    docker(['ps', '-q', '--filter', `label=io.local-dev.workspace=${wsId}`, ...(service ? ['--filter', `label=io.local-dev.service=${service}`] : [])])
      .split('\n')
      .filter(Boolean);
  const startedAt = (service: string) => docker(['inspect', '--format', '{{.State.StartedAt}}', ...running(service)]);

  beforeAll(async () => {
    harness = createHarness();
    const redis = await harness.startRedis();
    stack = await createStackWorkspace({ repos: 2, workers: 0, redisPort: await freePort(), name: 'ro-logs' });
    wsId = workspaceId(stack.workspace.root);
    logs = workspacePaths(stack.workspace.root).logs;
    harness.control({ targets: { s1: `127.0.0.1:${redis.port}` } });
    harness.watchWorkspace(workspacePaths(stack.workspace.root));
    await initWorkspace(stack.workspace);
    expectOk(await nx(['run-many', '-t', 'up']));
    expect(running()).toHaveLength(2);
  });

  afterAll(async () => {
    if (stack) {
      await stack.workspace.nx(['run', 'redis-tunnel:down'], { env: env() });
      removeByWorkspaceLabel(wsId);
      const network = docker(['network', 'ls', '-q', '--filter', `name=${stack.network}`]);
      if (network) docker(['network', 'rm', ...network.split('\n')]);
    }
    await harness?.cleanup();
    stack?.remove();
  });

  it('the read-only mount refuses writes here, also to root', async () => {
    mkdirSync(path.join(logs, 'locks'), { recursive: true });
    const touch = await withReadOnlyLogs('touch', [path.join(logs, 'locks', 'probe')]);
    expect(touch.code).not.toBe(0);
    expect(touch.stderr).toContain('Read-only file system');
    expect(readdirSync(path.join(logs, 'locks'))).toEqual([]);
  });

  it('stack:restart restarts every container, then says which locks it went without, and that the tunnel could not reconnect', async () => {
    const before = { 'svc-0': startedAt('svc-0'), 'svc-1': startedAt('svc-1') };
    const result = await nxWithReadOnlyLogs(['run', 'stack:restart']);
    expect({ 'svc-0': startedAt('svc-0') === before['svc-0'], 'svc-1': startedAt('svc-1') === before['svc-1'] }).toEqual({ 'svc-0': false, 'svc-1': false });
    expect(result.code).toBe(1);
    expect(result.output).toMatch(
      /svc-1: healthy\n⚠ stack:restart: logs\/ refused these writes; the work went on without them:\n {2}- the lock on svc-0's container \(EROFS: read-only file system, open '[^']+\/logs\/locks\/svc-0\.lock\.[^']+'\)\n {2}- the lock on svc-1's container \(EROFS[^\n]+\n {2}fix: make logs\/ writable again/,
    );
    expect(result.stderr).toContain('✖ stack:restart: the Redis tunnel was not reconnected: logs/ refuses the writes it needs (EROFS: read-only file system');
    expect(result.stderr).toContain('then `nx run redis-tunnel:restart` (svc-0, svc-1 did restart)');
    expect(result.output).not.toContain('a bug in local-dev');
  });

  it('svc-1:down removes its container, then says the lock and the run record could not be written', async () => {
    const result = await nxWithReadOnlyLogs(['run', 'svc-1:down']);
    expect(running('svc-1')).toEqual([]);
    expect(running('svc-0')).toHaveLength(1);
    expectOk(result);
    expect(result.output).toMatch(
      /svc-1: stopped and removed\n⚠ svc-1:down: logs\/ refused these writes; the work went on without them:\n {2}- the lock on svc-1's container \(EROFS: read-only file system/,
    );
    expect(result.stderr).toContain('⚠ local-dev: could not write the start of this run in logs/progress.json (EROFS: read-only file system');
    expect(result.stderr).toContain('⚠ local-dev: could not write the end of this run in logs/');
  });

  it('stack:stop removes every container, stops the tunnel and removes the network, then says which locks it went without', async () => {
    const tunnel = readTunnelState(workspacePaths(stack.workspace.root));
    expect(tunnel.condition).toBe('running');
    const supervisor = tunnel.condition === 'absent' ? 0 : tunnel.state.pid;
    const result = await nxWithReadOnlyLogs(['run', 'stack:stop']);
    expect(running()).toEqual([]);
    expect(isAlive(supervisor)).toBe(false);
    expect(docker(['network', 'ls', '-q', '--filter', `name=${stack.network}`])).toBe('');
    expectOk(result);
    expect(result.output).toMatch(
      /network \S+: removed \(nothing attached any more\)\n⚠ stack:stop: logs\/ refused these writes; the work went on without them:\n {2}- the lock on svc-0's container \(EROFS[^\n]+\n {2}- the lock on the Redis tunnel \(EROFS[^\n]+\n {2}- the lock on the network \S+ \(EROFS[^\n]+\n {2}fix: /,
    );
    // Nothing was written: not a lock, not a temp file.
    expect(readdirSync(path.join(logs, 'locks'))).toEqual([]);
  });
});
