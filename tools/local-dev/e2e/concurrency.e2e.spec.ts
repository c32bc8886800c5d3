/**
 * Two local-dev commands at once, as users cause them: `make run s1` in two terminals, a `down`
 * while an `up` runs, a run killed half way, two checkouts of local-dev on one engine. Real nx
 * CLI, real Docker, real processes; the Redis tunnel goes through the kubectl STAND-IN (there is
 * no Kubernetes here) to a real redis-server.
 *
 * The stack is small on purpose: svc-0 and svc-1 (which depends on svc-0). svc-0 answers its
 * healthcheck 8 s after it starts, so an `up` of it holds svc-0's lock long enough for a second
 * command to meet it there.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { readLockHolder, type LockHolder } from '../src/core/lock';
import { workspacePaths } from '../src/core/workspace';
import { ensureNetwork } from '../src/docker/containers';
import { workspaceId } from '../src/core/naming';
import { checkHostPorts } from '../src/docker/ports';
import { serviceLockPath } from '../src/docker/service-lock';
import { loadConfig } from '../src/config/load';
import { createHarness, type Harness } from './fixtures/kubectl-stand-in/harness';
import { docker, freePort, get } from './fixtures/stack/stack';
import { createStackWorkspace, type StackWorkspace } from './fixtures/stack/workspace';
import { initWorkspace, type RunResult } from './support/temp-workspace';

jest.setTimeout(300_000);

const SERVICES = ['svc-0', 'svc-1'];

/** An nx command running in the background, in its own process group (so it can be killed as a terminal would). */
interface Running {
  pid: number;
  output(): string;
  exited: Promise<RunResult>;
  killGroup(): void;
}

function startNx(stack: StackWorkspace, args: string[], env: NodeJS.ProcessEnv): Running {
  // run-many hides the output of tasks that succeed unless asked: the tests read what they said.
  const allOutput = args[0] === 'run-many' ? ['--output-style=static'] : [];
  return track(
    spawn(path.join(stack.workspace.root, 'node_modules', '.bin', 'nx'), [...args, ...allOutput], {
      cwd: stack.workspace.root,
      env: { ...env, NX_DAEMON: 'false', NX_TUI: 'false', NX_NO_CLOUD: 'true', FORCE_COLOR: '0', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    }),
  );
}

/** Collects a started process's output; it is killed (with its group) if it runs for over 4 minutes. */
function track(child: ChildProcess): Running {
  let stdout = '';
  let stderr = '';
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => ((stdout += chunk), (output += chunk)));
  child.stderr!.on('data', (chunk: Buffer) => ((stderr += chunk), (output += chunk)));
  const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 240_000);
  const exited = new Promise<RunResult>((resolve) =>
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, output });
    }),
  );
  return { pid: child.pid!, output: () => output, exited, killGroup: () => process.kill(-child.pid!, 'SIGKILL') };
}

/** The up executor of `service` in a plain node process (the precompiled code Nx runs), as a second terminal's task would run it. */
function startUpProcess(stack: StackWorkspace, service: string): Running {
  const root = stack.workspace.root;
  const script = `require(${JSON.stringify(path.join(root, 'tools/local-dev/runtime/entry.js'))})['executor/up'](
    { service: ${JSON.stringify(service)}, namespace: 's1' }, { root: ${JSON.stringify(root)}, projectName: ${JSON.stringify(service)}, targetName: 'up' },
  ).then((result) => { process.exitCode = result.success ? 0 : 1; });`;
  return track(spawn(process.execPath, ['-e', script], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], detached: true }));
}

async function waitUntil(condition: () => boolean, what: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const expectOk = (result: RunResult) => expect({ code: result.code, output: result.code === 0 ? '' : result.output }).toEqual({ code: 0, output: '' });

describe('two local-dev commands at once (real nx, real Docker)', () => {
  let harness: Harness;
  let redisPort: number;
  let stack: StackWorkspace;
  let wsId: string;
  const network = `ld-e2e-shared-${process.pid}`;

  /** The containers of `service` in `workspace` (any state), as "id state" lines. */
  const containersOf = (workspace: string, service: string) =>
    docker([
      'ps',
      '-a',
      '--filter',
      `label=io.local-dev.workspace=${workspace}`,
      '--filter',
      `label=io.local-dev.service=${service}`,
      '--format',
      '{{.ID}} {{.State}}',
    ])
      .split('\n')
      .filter(Boolean);
  /** One running container per service, answering on its host port. */
  const expectOneHealthyContainerEach = async (target: StackWorkspace, workspace: string) => {
    for (const service of SERVICES) {
      expect(containersOf(workspace, service)).toEqual([expect.stringMatching(/ running$/)]);
      expect(await get(`http://127.0.0.1:${target.hostPorts[service]}/health`)).toBe('ok\n');
    }
  };
  const lockHolder = (target: StackWorkspace, service: string): LockHolder | undefined =>
    readLockHolder(serviceLockPath(workspacePaths(target.workspace.root), service));
  const nx = (target: StackWorkspace, args: string[]) => startNx(target, args, harness.env);

  beforeAll(async () => {
    harness = createHarness();
    const redis = await harness.startRedis();
    redisPort = await freePort();
    harness.control({ targets: { s1: `127.0.0.1:${redis.port}` } });
    stack = await createStackWorkspace({ repos: 2, workers: 0, redisPort, name: 'concurrency-a', network, firstServiceStartDelay: 8 });
    wsId = workspaceId(stack.workspace.root);
    harness.watchWorkspace(workspacePaths(stack.workspace.root));
    await initWorkspace(stack.workspace);
  });

  afterAll(async () => {
    for (const target of [stack]) {
      if (!target) continue;
      await target.workspace.nx(['run', 'redis-tunnel:down'], { env: harness.env });
    }
    for (const id of [wsId]) if (id) removeContainersAndImages(id);
    removeNetworks(network);
    await harness?.cleanup();
    stack?.remove();
  });

  it('two `nx run-many -t up` started together both succeed, leaving one healthy container per service', async () => {
    // Cold: both clone, build and start; then warm (images built, nothing running): both meet at svc-0's `up`.
    for (const round of ['cold', 'warm']) {
      const first = nx(stack, ['run-many', '-t', 'up', '--namespace=s1']);
      await new Promise((resolve) => setTimeout(resolve, round === 'cold' ? 500 : 0));
      const second = nx(stack, ['run-many', '-t', 'up', '--namespace=s1']);
      const results = await Promise.all([first.exited, second.exited]);
      for (const result of results) expectOk(result);
      await expectOneHealthyContainerEach(stack, wsId);
      const outputs = results.map((result) => result.output).join('\n');
      // Neither met the other's container half made (compose's "Conflict. The container name … is
      // already in use") or its port just taken ("host port … is taken by …").
      expect(outputs).not.toMatch(/Conflict\. The container name|host port \d+ .* is taken by/);
      for (const result of results) expect(result.output).toContain('svc-0: healthy');
      // Stop both for the warm round, so both runs meet at services that are not running.
      if (round === 'cold') for (const service of SERVICES) expectOk(await stack.workspace.nx(['run', `${service}:down`], { env: harness.env }));
    }
    for (const service of SERVICES) expect(lockHolder(stack, service)).toBeUndefined();
  });

  it('two `up` processes of one service at the same moment: one starts it, the other waits, then finds it running', async () => {
    // The up executor in two plain node processes started together, so both look for the
    // container at the same moment (without the lock both ran compose, and one failed with
    // "Conflict. The container name … is already in use").
    expectOk(await nx(stack, ['run', 'svc-0:down']).exited);
    const ups = [startUpProcess(stack, 'svc-0'), startUpProcess(stack, 'svc-0')];
    const results = await Promise.all(ups.map((up) => up.exited));
    for (const result of results) expectOk(result);
    expect(containersOf(wsId, 'svc-0')).toEqual([expect.stringMatching(/ running$/)]);
    const waiter = results.findIndex((result) => result.output.includes("waiting for svc-0's container"));
    expect(waiter).not.toBe(-1);
    const starter = 1 - waiter;
    expect(results[starter].output).toMatch(/svc-0: starting local-dev\/svc-0:[0-9a-f]{12}\n/);
    expect(results[waiter].output).toMatch(
      new RegExp(
        `^svc-0: waiting for svc-0's container: in use by \`\\S*node -e .*\` \\(pid ${ups[starter].pid}; up svc-0, for \\d+ s\\); waited 0 s so far \\(gives up after 600 s\\)$`,
        'm',
      ),
    );
    expect(results[waiter].output).toMatch(/svc-0: already running local-dev\/svc-0:[0-9a-f]{12}\nsvc-0: healthy/);
    expect(results[waiter].output).not.toContain('starting');
  });

  it('a `down` during an `up` of the same service waits for it, then stops the service', async () => {
    expectOk(await nx(stack, ['run', 'svc-0:down']).exited);
    const up = nx(stack, ['run', 'svc-0:up', '--namespace=s1']);
    await waitUntil(() => lockHolder(stack, 'svc-0')?.purpose === 'up svc-0', "the up to hold svc-0's lock");
    const down = nx(stack, ['run', 'svc-0:down']);
    const [upResult, downResult] = await Promise.all([up.exited, down.exited]);
    expectOk(upResult);
    expectOk(downResult);
    expect(upResult.output).toContain('svc-0: healthy');
    expect(downResult.output).toMatch(
      new RegExp(
        `svc-0: waiting for svc-0's container: in use by \`nx run svc-0:up --namespace=s1\` \\(pid ${up.pid}, task pid \\d+; up svc-0, for \\d+ s\\); waited 0 s so far \\(gives up after 600 s\\)`,
      ),
    );
    expect(downResult.output).toContain('svc-0: stopped and removed');
    // The later command's state: stopped.
    expect(containersOf(wsId, 'svc-0')).toEqual([]);
  });

  it('a run killed (SIGKILL) in the middle of `up` leaves no lock that makes the next run wait', async () => {
    const killed = nx(stack, ['run-many', '-t', 'up', '--namespace=s1']);
    await waitUntil(() => lockHolder(stack, 'svc-0')?.purpose === 'up svc-0', "the run to hold svc-0's lock");
    const stale = lockHolder(stack, 'svc-0')!;
    killed.killGroup();
    await killed.exited;
    // What a killed process leaves: its lock, whose owner is gone.
    expect(lockHolder(stack, 'svc-0')).toEqual(stale);
    const next = await nx(stack, ['run-many', '-t', 'up', '--namespace=s1']).exited;
    expectOk(next);
    expect(next.output).toContain(
      `svc-0: took over the lock on svc-0's container left by \`nx run-many -t up --namespace=s1 --output-style=static\` (pid ${stale.pid}; up svc-0), which is no longer running`,
    );
    // Nothing waits on a lock of the killed run. (Not "no `waiting for` at all": Nx replays the
    // output of cached tasks, which may include an earlier overlapping run's wait for a build slot.)
    expect(next.output).not.toMatch(new RegExp(`waiting for [^\\n]*\\(pid ${stale.commandPid}[,;]`));
    await expectOneHealthyContainerEach(stack, wsId);
  });

  it('two workspaces with the same services on one engine and one network: each up, each down, neither disturbed', async () => {
    // Its own tunnel port: each workspace runs its own tunnel (to the same stand-in Redis).
    const other = await createStackWorkspace({ repos: 2, workers: 0, redisPort: await freePort(), name: 'concurrency-b', network });
    const otherId = workspaceId(other.workspace.root);
    harness.watchWorkspace(workspacePaths(other.workspace.root));
    try {
      await initWorkspace(other.workspace);
      const ours = SERVICES.map((service) => containersOf(wsId, service));
      expectOk(await nx(other, ['run-many', '-t', 'up', '--namespace=s1']).exited);
      await expectOneHealthyContainerEach(other, otherId);
      // Ours untouched: the same containers, still answering.
      expect(SERVICES.map((service) => containersOf(wsId, service))).toEqual(ours);
      await expectOneHealthyContainerEach(stack, wsId);

      // A host port held by the other workspace's container is named as such.
      const config = loadConfig(other.workspace.root).services.find((service) => service.name === 'svc-1')!;
      const onOurPort = { ...config, ports: [{ ...config.ports[0], host: stack.hostPorts['svc-1'] }] };
      await expect(checkHostPorts(onOurPort, undefined, otherId)).rejects.toThrow(
        `host port ${stack.hostPorts['svc-1']} ("127.0.0.1:${stack.hostPorts['svc-1']}:8080") is taken by the container ${containerName(wsId, 'svc-1')}: svc-1 of another local-dev workspace in ${stack.workspace.root} (stop it there with \`nx run svc-1:down\`)`,
      );

      // doctor warns that the same names answer on the shared network from the other checkout.
      const doctor = await nx(other, ['run', 'stack:doctor', '--namespace=s1']).exited;
      expect(doctor.output).toContain(
        `⚠ shared network: on ${network}, a request by name may reach the other workspace: the container ${containerName(wsId, 'svc-0')}: svc-0 of another local-dev workspace in ${stack.workspace.root} (stop it there with \`nx run svc-0:down\`); the container ${containerName(wsId, 'svc-1')}: svc-1 of another local-dev workspace in ${stack.workspace.root} (stop it there with \`nx run svc-1:down\`)`,
      );

      // The other workspace's down removes its containers only; the shared network stays, ours run on.
      expectOk(await nx(other, ['run-many', '-t', 'down']).exited);
      for (const service of SERVICES) expect(containersOf(otherId, service)).toEqual([]);
      expect(SERVICES.map((service) => containersOf(wsId, service))).toEqual(ours);
      await expectOneHealthyContainerEach(stack, wsId);
      expect(docker(['network', 'ls', '--filter', `name=${network}`, '--format', '{{.Name}}'])).toBe(network);
      expect(docker(['exec', containersOf(wsId, 'svc-1')[0].split(' ')[0], 'wget', '-qO-', 'http://svc-0:8080/health'])).toBe('ok');

      // And ours down: the other's images are still there.
      expectOk(await nx(stack, ['run-many', '-t', 'down']).exited);
      for (const service of SERVICES) expect(containersOf(wsId, service)).toEqual([]);
      expect(
        docker(['images', '-q', '--filter', `label=io.local-dev.workspace=${otherId}`])
          .split('\n')
          .filter(Boolean),
      ).toHaveLength(2);
    } finally {
      await other.workspace.nx(['run', 'redis-tunnel:down'], { env: harness.env });
      removeContainersAndImages(otherId);
      other.remove();
    }
  });

  it('commands creating the shared network at the same moment leave exactly one network of that name', async () => {
    // Docker does not make "create if missing" atomic by name: without the check after creating,
    // this left six networks named the same, which compose then refuses as ambiguous.
    const name = `ld-e2e-race-${process.pid}`;
    try {
      await Promise.all(['a', 'b', 'c', 'd', 'e', 'f'].map((workspace) => ensureNetwork(name, `race-${workspace}`)));
      expect(docker(['network', 'ls', '--filter', `name=${name}`, '--format', '{{.Name}}']).split('\n')).toEqual([name]);
    } finally {
      removeNetworks(name);
    }
  });
});

function containerName(workspace: string, service: string): string {
  return docker(['ps', '--filter', `label=io.local-dev.workspace=${workspace}`, '--filter', `label=io.local-dev.service=${service}`, '--format', '{{.Names}}']);
}

/** Removes the containers and images of one workspace (not the network: the other workspace may use it). */
function removeContainersAndImages(workspace: string): void {
  const filter = `label=io.local-dev.workspace=${workspace}`;
  const containers = docker(['ps', '-aq', '--filter', filter]).split('\n').filter(Boolean);
  if (containers.length > 0) docker(['rm', '-f', ...containers]);
  const images = docker(['images', '-q', '--filter', filter]).split('\n').filter(Boolean);
  if (images.length > 0) docker(['rmi', '-f', ...new Set(images)]);
}

function removeNetworks(name: string): void {
  const ids = docker(['network', 'ls', '-q', '--filter', `name=${name}`])
    .split('\n')
    .filter(Boolean);
  if (ids.length > 0) docker(['network', 'rm', ...ids]);
}
