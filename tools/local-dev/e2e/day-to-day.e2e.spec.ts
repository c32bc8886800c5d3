/**
 * The day-to-day commands on one real 2-service stack, through `make` and `nx` as a user types
 * them: status, stats, logs, restart, stop — real git clones, real Docker, and the Redis tunnel
 * through the kubectl STAND-IN (it really forwards TCP to a real redis-server; Kubernetes cannot
 * run here). One stack is shared by the whole suite; the tests run in order.
 *
 * A foreign container (not ours: another "workspace" label, and one with no label) runs on the
 * stack's network the whole time: no command may show it, stop it or let it block the network.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { workspacePaths } from '../src/core/workspace';
import { workspaceId } from '../src/core/naming';
import type { StackModel } from '../src/stack/model';
import { readTunnelState } from '../src/tunnel/state';
import { createHarness, type Harness } from './fixtures/kubectl-stand-in/harness';
import { docker, freePort, get, removeByWorkspaceLabel } from './fixtures/stack/stack';
import { createStackWorkspace, type StackWorkspace } from './fixtures/stack/workspace';
import { initWorkspace, REPO_ROOT, type RunResult } from './support/temp-workspace';

jest.setTimeout(240_000);

describe('day-to-day commands (real stack, through make and nx)', () => {
  let harness: Harness;
  let stack: StackWorkspace;
  let wsId: string;
  const foreign: string[] = [];
  /** Named like ours (local-dev/svc-0), labelled as another workspace's: clean must not touch it. */
  const foreignImage = `local-dev/svc-0:foreign${process.pid}`;
  const env = () => ({ ...harness.env, NX_DAEMON: 'false', NX_TUI: 'false', NX_NO_CLOUD: 'true', FORCE_COLOR: '0', NO_COLOR: '1' });
  const nx = (args: string[], extra: Record<string, string> = {}) => stack.workspace.nx(args, { env: { ...env(), ...extra }, timeoutMs: 180_000 });
  const make = (args: string[]) => stack.workspace.run('make', ['--no-print-directory', ...args], { env: env(), timeoutMs: 180_000 });
  const expectOk = (result: RunResult) => expect({ code: result.code, output: result.code === 0 ? '' : result.output }).toEqual({ code: 0, output: '' });
  const ours = (service?: string, all = true) =>
    docker([
      'ps',
      ...(all ? ['-a'] : []),
      '-q',
      '--filter',
      `label=io.local-dev.workspace=${wsId}`,
      ...(service ? ['--filter', `label=io.local-dev.service=${service}`] : []),
    ])
      .split('\n')
      .filter(Boolean);
  const statusJson = async (): Promise<StackModel> => {
    const result = await nx(['run', 'stack:status', '--json']);
    expectOk(result);
    // Nx frames the task's output with its own lines: the JSON is the part between the braces.
    const text = result.stdout.slice(result.stdout.indexOf('\n{') + 1, result.stdout.lastIndexOf('\n}') + 2);
    return JSON.parse(text) as StackModel;
  };

  beforeAll(async () => {
    harness = createHarness();
    const redis = await harness.startRedis();
    stack = await createStackWorkspace({ repos: 2, workers: 0, redisPort: await freePort(), name: 'day-to-day' });
    wsId = workspaceId(stack.workspace.root);
    harness.control({ targets: { s1: `127.0.0.1:${redis.port}` } });
    harness.watchWorkspace(workspacePaths(stack.workspace.root));
    stack.workspace.write('Makefile', readFileSync(path.join(REPO_ROOT, 'Makefile'), 'utf8'));
    await initWorkspace(stack.workspace);
  });

  afterAll(async () => {
    for (const id of foreign) docker(['rm', '-f', id]);
    if (docker(['images', '-q', foreignImage])) docker(['rmi', '-f', foreignImage]);
    if (stack) {
      await stack.workspace.nx(['run', 'redis-tunnel:down'], { env: env() });
      removeByWorkspaceLabel(wsId);
      const network = docker(['network', 'ls', '-q', '--filter', `name=${stack.network}`]);
      if (network) docker(['network', 'rm', ...network.split('\n')]);
    }
    await harness?.cleanup();
    stack?.remove();
  });

  it('before anything is cloned: status says how to start; logs, stats and restart refuse clearly; nothing is created', async () => {
    const status = await make(['status']);
    expectOk(status);
    expect(status.stdout).toMatch(/svc-0 +not-cloned +not cloned/);
    expect(status.stdout).toContain('Nothing is cloned yet: `make run`');
    for (const [args, message] of [
      [['run', 'stack:logs'], 'no service of this workspace has a container: there are no logs to show'],
      [['run', 'stack:stats'], 'no container of this workspace is running'],
      [['run', 'stack:restart'], 'no service of this workspace has a container to restart — nothing was restarted'],
    ] as const) {
      const result = await nx([...args]);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain(message);
    }
    expect(ours()).toEqual([]);
  });

  it('an unknown service is refused with the close name; Docker not answering is said plainly, and nothing is stopped', async () => {
    const typo = await make(['status', 'svc-O']);
    expect(typo.code).not.toBe(0);
    expect(typo.stderr).toContain('no service "svc-O" in repos_docker_files/config.yaml\n  fix: "svc-O": did you mean "svc-0"?');
    const noEngine = await nx(['run', 'stack:stop'], { DOCKER_HOST: 'unix:///nonexistent/docker.sock' });
    expect(noEngine.code).not.toBe(0);
    expect(noEngine.stderr).toContain('the Docker engine does not answer');
    expect(noEngine.stderr).toContain('nothing was changed');
  });

  it('doctor checks what a run needs, each problem with its fix: here a host port another process holds', async () => {
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(stack.hostPorts['svc-1'], '0.0.0.0', resolve));
    try {
      const blocked = await make(['doctor']);
      expect(blocked.code).not.toBe(0);
      expect(blocked.stdout).toContain(`✖ host ports: ${stack.hostPorts['svc-1']} (svc-1) is taken by pid ${process.pid}`);
      expect(blocked.stdout).toMatch(/✔ git access svc-0: file:\/\/\S+svc-0\.git answers \(branch main\)/);
      expect(blocked.stdout).toContain('✔ kubectl: context');
      expect(blocked.stderr).toContain('1 check failed: host ports');
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
    expectOk(await make(['doctor']));
  });

  it('`make run` keeps logs/progress.json valid JSON at every read and writes logs/run_metrics.json and logs/build_output.log', async () => {
    const progress = path.join(stack.workspace.root, 'logs', 'progress.json');
    const seen = { reads: 0, states: new Set<string>(), unparsable: [] as string[] };
    const poll = setInterval(() => {
      let text: string;
      try {
        text = readFileSync(progress, 'utf8');
      } catch {
        return; // not written yet
      }
      seen.reads++;
      try {
        seen.states.add((JSON.parse(text) as { state: string }).state);
      } catch {
        seen.unparsable.push(text);
      }
    }, 5);
    try {
      expectOk(await make(['run']));
    } finally {
      clearInterval(poll);
    }
    expect(seen.unparsable).toEqual([]);
    expect(seen.reads).toBeGreaterThan(10);
    expect([...seen.states]).toEqual(['running', 'success']);
    const metrics = JSON.parse(readFileSync(path.join(stack.workspace.root, 'logs', 'run_metrics.json'), 'utf8')) as {
      runs: { command: string; result: string; tasks: { task: string; cacheHit: boolean; result: string }[] }[];
    };
    expect(metrics.runs[0]).toMatchObject({ command: 'nx run-many -t up', result: 'success' });
    expect(
      metrics.runs[0].tasks
        .filter((task) => /:up$/.test(task.task))
        .map((task) => [task.task, task.result])
        .sort(),
    ).toEqual([
      ['redis-tunnel:up', 'success'],
      ['svc-0:up', 'success'],
      ['svc-1:up', 'success'],
    ]);
    const output = readFileSync(path.join(stack.workspace.root, 'logs', 'build_output.log'), 'utf8');
    expect(output).toMatch(/^==> svc-0:build-image \(success\)\n(.*\n)*svc-0: built local-dev\/svc-0:/m);
    expect(output).toMatch(/^==> svc-1:up \(success\)\n(.*\n)*svc-1: healthy/m);
    // A read-only command that runs meanwhile does not replace the record of the run.
    expectOk(await make(['status']));
    expect(JSON.parse(readFileSync(progress, 'utf8'))).toMatchObject({ command: 'nx run-many -t up', state: 'success' });
  });

  it('after `make run`: stats has a row per running container of ours and none for a foreign one', async () => {
    // Foreign: on our network, one claiming our service label but another workspace's, one unlabelled.
    foreign.push(
      docker([
        'run',
        '-d',
        '--network',
        stack.network,
        '--label',
        'io.local-dev.workspace=someone-else',
        '--label',
        'io.local-dev.service=svc-0',
        'busybox:1.36',
        'sleep',
        '600',
      ]),
    );
    foreign.push(docker(['run', '-d', '--network', stack.network, 'busybox:1.36', 'sleep', '600']));
    const stats = await make(['stats']);
    expectOk(stats);
    const rows = stats.stdout.split('\n').filter((line) => /^svc-\d/.test(line));
    expect(rows.map((row) => row.split(/\s+/)[0])).toEqual(['svc-0', 'svc-1']);
    for (const row of rows) expect(row).toMatch(/^svc-\d +\d+\.\d\d +[\d.]+ \S+ \/ [\d.]+ \S+ +\d+\.\d\d +[\d.]+ \S+ \/ [\d.]+ \S+ +0$/);
    const json = await nx(['run', 'stack:stats', '--json', '--services=svc-1']);
    expectOk(json);
    const reading = JSON.parse(json.stdout.split('\n').find((line) => line.startsWith('{"at"')) ?? '{}') as {
      containers: { service: string; memoryBytes: number }[];
    };
    expect(reading.containers.map((row) => row.service)).toEqual(['svc-1']);
    expect(reading.containers[0].memoryBytes).toBeGreaterThan(0);
  });

  it('status: everything current and healthy tunnel at first; then flags a dirty clone, a stale image (and why) and a stopped container', async () => {
    const before = await statusJson();
    expect(before.services.map((service) => [service.name, service.state, service.container?.current])).toEqual([
      ['svc-0', 'running', true],
      ['svc-1', 'running', true],
    ]);
    expect(before.tunnel).toMatchObject({ healthy: true, namespace: 's1' });
    expect(before.problems).toEqual([]);

    writeFileSync(path.join(stack.workspace.root, 'cloned/svc-1/version.txt'), 'svc-1 local edit\n');
    docker(['kill', ours('svc-0')[0]]);
    const after = await statusJson();
    const svc0 = after.services.find((service) => service.name === 'svc-0');
    const svc1 = after.services.find((service) => service.name === 'svc-1');
    expect(svc0?.state).toBe('stopped');
    expect(svc1?.repo).toMatchObject({ dirty: true, changedFiles: 1 });
    expect(svc1?.container?.current).toBe(false);
    expect(after.problems.map((problem) => `${problem.subject} ${problem.kind}`)).toEqual(['svc-0 stopped', 'svc-1 stale-image', 'svc-1 dirty']);
    expect(after.problems[1].message).toContain('its code or config changed since its image was built (1 uncommitted or untracked file in cloned/svc-1)');

    const table = await make(['status']);
    expectOk(table);
    expect(table.stdout).toMatch(/svc-0 +stopped +main +current +exited\(137\)/);
    expect(table.stdout).toMatch(/svc-1 +running +main dirty\(1\) +STALE/);
    expect(table.stdout).toContain('⚠ svc-0: container stopped by `docker kill` from outside local-dev (SIGKILL; exit code 137)');
    expect(table.stdout).toContain('Redis tunnel: HEALTHY');
  });

  it('restart brings the killed container back (healthy) and reconnects the tunnel', async () => {
    const tunnelBefore = readTunnelState(workspacePaths(stack.workspace.root));
    const kubectlBefore = tunnelBefore.condition === 'running' ? tunnelBefore.state.kubectlPid : undefined;
    const restart = await make(['restart', 'svc-0']);
    expectOk(restart);
    expect(restart.stdout).toContain('svc-0: healthy');
    expect(await get(`http://127.0.0.1:${stack.hostPorts['svc-0']}/health`)).toBe('ok\n');
    const tunnelAfter = readTunnelState(workspacePaths(stack.workspace.root));
    expect(tunnelAfter).toMatchObject({ condition: 'running', state: { status: 'healthy' } });
    expect(tunnelAfter.condition === 'running' && tunnelAfter.state.kubectlPid).not.toBe(kubectlBefore);
  });

  it('logs of all services interleave in time order, each line with its service prefix', async () => {
    // busybox httpd may print its "response:200" after the client has its answer: each request's
    // line must be in the engine's log before the next request, or the two lines could swap.
    const requestLogged = async (service: string, requestPath: string) => {
      const container = ours(service, false)[0];
      // httpd logs to stderr: count the response lines of both streams.
      const responses = () => {
        const logs = spawnSync('docker', ['logs', container], { encoding: 'utf8' });
        if (logs.status !== 0) throw new Error(`docker logs ${service} failed: ${logs.stderr}`);
        return `${logs.stdout}${logs.stderr}`.split('\n').filter((line) => line.includes('response:200')).length;
      };
      const before = responses();
      await get(`http://127.0.0.1:${stack.hostPorts[service]}${requestPath}`);
      for (const started = Date.now(); responses() === before;) {
        if (Date.now() - started > 10_000) throw new Error(`${service} never logged the response to ${requestPath}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    await requestLogged('svc-1', '/version.txt');
    await requestLogged('svc-0', '/health');
    const logs = await nx(['run', 'stack:logs', '--tail=50']);
    expectOk(logs);
    const lines = logs.output.split('\n').filter((line) => /^svc-\d \| /.test(line));
    expect(lines.some((line) => line.startsWith('svc-0 | '))).toBe(true);
    expect(lines.some((line) => line.startsWith('svc-1 | '))).toBe(true);
    // The last request was svc-0's: merged by time, its line comes after svc-1's.
    expect(lines.at(-1)).toMatch(/^svc-0 \| .*response:200/);
  });

  it('stop leaves nothing of ours running — containers, tunnel, network — and the foreign containers untouched', async () => {
    docker(['network', 'disconnect', stack.network, foreign[1]]);
    const stop = await make(['stop']);
    expectOk(stop);
    expect(stop.stdout).toContain(`network ${stack.network}: kept`);
    expect(ours()).toEqual([]);
    expect(readTunnelState(workspacePaths(stack.workspace.root)).condition).not.toBe('running');
    for (const id of foreign) expect(docker(['inspect', '--format', '{{.State.Status}}', id])).toBe('running');
    // Once the last foreign container leaves the network, the next stop removes it.
    docker(['network', 'disconnect', stack.network, foreign[0]]);
    const again = await make(['stop']);
    expectOk(again);
    expect(again.stdout).toContain('no container of this workspace was running');
    expect(again.stdout).toContain(`network ${stack.network}: removed`);
    expect(docker(['network', 'ls', '-q', '--filter', `name=^${stack.network}$`])).toBe('');
  });

  it('clean refuses a clone with local work, changing nothing; with force it saves and moves it, and never touches a foreign container or image', async () => {
    docker(['commit', '-c', 'LABEL io.local-dev.workspace=someone-else', '-c', 'LABEL io.local-dev.service=svc-0', foreign[0], foreignImage]);
    const ourImages = () =>
      docker(['images', '-q', '--filter', `label=io.local-dev.workspace=${wsId}`])
        .split('\n')
        .filter(Boolean)
        .sort(); // docker lists images made in the same second in either order
    const imagesBefore = ourImages();
    expect(imagesBefore.length).toBeGreaterThan(0);
    const refused = await make(['clean']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('clean would lose work that exists only here — nothing was changed:\n  cloned/svc-1: 1 uncommitted or untracked file');
    expect(ourImages()).toEqual(imagesBefore);
    expect(readFileSync(path.join(stack.workspace.root, 'cloned/svc-1/version.txt'), 'utf8')).toBe('svc-1 local edit\n');
    expect(existsSync(path.join(stack.workspace.root, 'docker-compose.yml'))).toBe(true);

    const forced = await make(['clean', 'force']);
    expectOk(forced);
    const backup = /to put it back: mv (\S+) cloned\/svc-1/.exec(forced.stdout)?.[1];
    expect(backup).toMatch(/^logs\/backups\/\d{8}T\d{6}Z\/svc-1$/);
    expect(readFileSync(path.join(stack.workspace.root, `${backup}/version.txt`), 'utf8')).toBe('svc-1 local edit\n');
    expect(existsSync(path.join(stack.workspace.root, 'cloned'))).toBe(false);
    expect(existsSync(path.join(stack.workspace.root, 'docker-compose.yml'))).toBe(false);
    expect(ourImages()).toEqual([]);
    expect(docker(['images', '-q', foreignImage])).not.toBe('');
    for (const id of foreign) expect(docker(['inspect', '--format', '{{.State.Status}}', id])).toBe('running');
  });
});
