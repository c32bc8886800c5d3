/**
 * Issue 24, tested for real: two laptops sharing images through a registry the team runs.
 *
 * A real registry (Debian's docker-registry on 127.0.0.1, e2e/support/registry.ts). Laptop A: a
 * workspace on the default engine with `registry: { url, push: true }` in config.yaml; it builds and
 * pushes. Laptop B: a fresh workspace on the same remotes, on a second dockerd that holds none of the
 * stack's images (only busybox:1.36, loaded by docker save | load), given the registry as CI gives it
 * (LOCAL_DEV_REGISTRY); it runs `nx run-many -t up` and must pull every image instead of building.
 * Every `docker` process of each laptop goes through a counting wrapper, so builds, pulls and pushes
 * are counted, not assumed. svc-1's clone holds an injected secret file: no pushed image may hold a
 * byte of it.
 */
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { workspaceId } from '../src/core/naming';
import { buildOutputFile, metricsFile, type RunMetricsFile } from '../src/core/run-record';
import { workspacePaths } from '../src/core/workspace';
import { readPushStatus } from '../src/docker/registry';
import { createHarness, type Harness } from './fixtures/kubectl-stand-in/harness';
import { startSecondDockerd, type SecondDockerd } from './fixtures/stack/second-dockerd';
import { docker, freePort, get, git, removeByWorkspaceLabel } from './fixtures/stack/stack';
import { createStackWorkspace, type StackWorkspace } from './fixtures/stack/workspace';
import { startTestRegistry, type TestRegistry } from './support/registry';
import { createTempWorkspace, initWorkspace, type RunResult, type TempWorkspace } from './support/temp-workspace';

jest.setTimeout(300_000);

const SERVICES = ['svc-0', 'svc-0-worker-1', 'svc-1'];
const SECRET_A = 'TOKEN=laptop-a-secret-7f3e9c';
const SECRET_B = 'TOKEN=laptop-b-secret-51d0aa';

/** A `docker` on PATH that logs each invocation, and, once armed (a pid in `<folder>/stop-after-pull`), ends that process after the next pull. */
function loggingDocker(folder: string): { env: (base: NodeJS.ProcessEnv) => NodeJS.ProcessEnv; log: string; armStop: (pid: number) => void } {
  mkdirSync(folder, { recursive: true });
  const log = path.join(folder, 'invocations.log');
  const stopFile = path.join(folder, 'stop-after-pull');
  writeFileSync(log, '');
  writeFileSync(
    path.join(folder, 'docker'),
    [
      '#!/bin/sh',
      `echo "$*" >> '${log}'`,
      `if [ "$1" = pull ] && [ -f '${stopFile}' ]; then`,
      '  /usr/bin/docker "$@"; status=$?',
      `  kill "$(cat '${stopFile}')"; rm -f '${stopFile}'`,
      '  exit $status',
      'fi',
      'exec /usr/bin/docker "$@"',
      '',
    ].join('\n'),
  );
  chmodSync(path.join(folder, 'docker'), 0o755);
  return {
    log,
    env: (base) => ({ ...base, PATH: `${folder}${path.delimiter}${base.PATH}` }),
    armStop: (pid) => writeFileSync(stopFile, String(pid)),
  };
}

/** The services a slice of a wrapper log built, pulled and pushed (service names from labels, tags or refs). */
function countsIn(lines: string[]): { built: string[]; pulled: string[]; pushed: string[] } {
  const serviceOfRef = (ref: string | undefined) => ref?.split('/').pop()?.split(':')[0];
  const built = lines
    // A build, not the relabelling of a pulled image (`build --quiet … -`: a FROM line on stdin, no layer built).
    .filter((line) => /^(buildx )?build /.test(line) && !/ -$/.test(line))
    .map((line) => /io\.local-dev\.service=(\S+)/.exec(line)?.[1] ?? /--tag local-dev\/([^:]+):/.exec(line)?.[1] ?? line);
  const pulled = lines.filter((line) => /^pull /.test(line)).map((line) => serviceOfRef(line.split(' ').pop()) ?? line);
  const pushed = lines.filter((line) => /^push /.test(line)).map((line) => serviceOfRef(line.split(' ').pop()) ?? line);
  return { built: built.sort(), pulled: pulled.sort(), pushed: pushed.sort() };
}

/** The last run's record of a workspace: each service's image outcome (build-image's), and the run's build output text. */
function lastRun(root: string): { images: Record<string, string | undefined>; buildOutput: string } {
  const paths = workspacePaths(root);
  const [run] = (JSON.parse(readFileSync(metricsFile(paths), 'utf8')) as RunMetricsFile).runs;
  const images = Object.fromEntries((run?.tasks ?? []).filter((task) => task.target === 'build-image').map((task) => [task.project, task.image]));
  return { images, buildOutput: readFileSync(buildOutputFile(paths), 'utf8') };
}
const every = (outcome: string) => Object.fromEntries(SERVICES.map((service) => [service, outcome]));

describe('two laptops, one registry (issue 24)', () => {
  let registry: TestRegistry;
  let harness: Harness;
  let second: SecondDockerd;
  let stackA: StackWorkspace;
  let workspaceB: TempWorkspace;
  let hostPortsB: Record<string, number>;
  const wrapperA = loggingDocker(path.join(tmpdir(), `local-dev-registry-a-${process.pid}`));
  const wrapperB = loggingDocker(path.join(tmpdir(), `local-dev-registry-b-${process.pid}`));
  const envA = () => wrapperA.env({ ...harness.env, DOCKER_HOST: undefined, DOCKER_CONTEXT: undefined, LOCAL_DEV_REGISTRY: undefined });
  const envB = () => wrapperB.env({ ...harness.env, DOCKER_HOST: second.host, DOCKER_CONTEXT: undefined, LOCAL_DEV_REGISTRY: `${registry.host}/local-dev` });
  const engineB = () => ({ ...process.env, DOCKER_HOST: second.host, DOCKER_CONTEXT: undefined });
  const expectOk = (result: RunResult) => expect({ code: result.code, output: result.code === 0 ? '' : result.output }).toEqual({ code: 0, output: '' });
  const linesOf = (log: string) => readFileSync(log, 'utf8').split('\n').filter(Boolean);

  /** Runs `up` for the whole stack on one laptop; what it built, pulled and pushed (pushes: started by this run). */
  async function upAll(laptop: 'A' | 'B', extra: string[] = []): Promise<{ built: string[]; pulled: string[]; pushed: string[]; output: string }> {
    const wrapper = laptop === 'A' ? wrapperA : wrapperB;
    const before = linesOf(wrapper.log).length;
    const run =
      laptop === 'A'
        ? await stackA.workspace.nx(['run-many', '-t', 'up', '--namespace=s1', ...extra], { env: envA(), timeoutMs: 240_000 })
        : await workspaceB.nx(['run-many', '-t', 'up', '--namespace=s1', ...extra], { env: envB(), timeoutMs: 240_000 });
    expectOk(run);
    return { ...countsIn(linesOf(wrapper.log).slice(before)), output: run.output };
  }

  /** Waits until laptop A's background pushes of `services` have ended; their states. */
  async function pushesSettled(services: string[]): Promise<Record<string, string | undefined>> {
    const paths = workspacePaths(stackA.workspace.root);
    const deadline = Date.now() + 60_000;
    const states = () => Object.fromEntries(services.map((service) => [service, readPushStatus(paths, service)?.state]));
    while (Object.values(states()).includes('running') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
    return states();
  }

  beforeAll(async () => {
    registry = await startTestRegistry();
    harness = createHarness();
    const redis = await harness.startRedis();
    harness.control({ targets: { s1: `127.0.0.1:${redis.port}` } });
    second = await startSecondDockerd();

    stackA = await createStackWorkspace({ repos: 2, workers: 1, redisPort: await freePort(), name: 'registry-a', secretFile: true });
    const configA = readFileSync(path.join(stackA.workspace.root, 'repos_docker_files/config.yaml'), 'utf8');
    stackA.workspace.write('repos_docker_files/config.yaml', `${configA}registry: { url: ${registry.host}/local-dev, push: true }\n`);
    stackA.workspace.write('configs/s1/svc-1.env', `${SECRET_A}\n`);
    harness.watchWorkspace(workspacePaths(stackA.workspace.root));
    await initWorkspace(stackA.workspace);

    // Laptop B: the same remotes and Dockerfiles, its own host ports, Redis port, network and secrets.
    hostPortsB = Object.fromEntries(await Promise.all(Object.keys(stackA.hostPorts).map(async (name) => [name, await freePort()] as const)));
    let configB = configA.replace(/^network: .*$/m, `network: ld-e2e-registry-b-${process.pid}`).replace(/port: \d+ }/, `port: ${await freePort()} }`);
    for (const [name, port] of Object.entries(stackA.hostPorts)) configB = configB.replace(`"${port}:8080"`, `"${hostPortsB[name]}:8080"`);
    const dockerfiles = Object.fromEntries(
      SERVICES.map((name) => [
        `repos_docker_files/${name}.dev.Dockerfile`,
        readFileSync(path.join(stackA.workspace.root, `repos_docker_files/${name}.dev.Dockerfile`), 'utf8'),
      ]),
    );
    workspaceB = createTempWorkspace({ name: 'registry-b', config: configB, files: { ...dockerfiles, 'configs/s1/svc-1.env': `${SECRET_B}\n` } });
    harness.watchWorkspace(workspacePaths(workspaceB.root));
    await initWorkspace(workspaceB);
  });

  afterAll(async () => {
    if (stackA) {
      await stackA.workspace.nx(['run', 'redis-tunnel:down'], { env: envA() });
      removeByWorkspaceLabel(workspaceId(stackA.workspace.root));
    }
    if (workspaceB && second) await workspaceB.nx(['run', 'redis-tunnel:down'], { env: envB() });
    await second?.stop();
    await harness?.cleanup();
    await registry?.remove();
    stackA?.remove();
    workspaceB?.remove();
    for (const folder of [path.dirname(wrapperA.log), path.dirname(wrapperB.log)]) rmSync(folder, { recursive: true, force: true });
  });

  it('laptop A builds every image and pushes each one in the background', async () => {
    const run = await upAll('A');
    expect(run.built).toEqual(SERVICES);
    expect(run.pulled).toEqual([]);
    expect(run.pushed).toEqual(SERVICES);
    expect(lastRun(stackA.workspace.root).images).toEqual(every('built'));
    expect(await pushesSettled(SERVICES)).toEqual(Object.fromEntries(SERVICES.map((service) => [service, 'pushed'])));
    expect((await registry.repositories()).sort()).toEqual(SERVICES.map((service) => `local-dev/${service}`));
    expect(await get(`http://127.0.0.1:${stackA.hostPorts['svc-1']}/version.txt`)).toBe('svc-1 1\n');
  });

  it('laptop B, a fresh clone on an engine without the images, pulls every image and builds none', async () => {
    const imagesBefore = docker(['images', '--format', '{{.Repository}}:{{.Tag}}'], engineB()).split('\n').filter(Boolean);
    expect(imagesBefore).toEqual(['busybox:1.36']);
    const run = await upAll('B');
    expect(run.built).toEqual([]);
    expect(run.pulled).toEqual(SERVICES);
    expect(run.pushed).toEqual([]);
    // The run says it per service, and records it for the run table.
    const recorded = lastRun(workspaceB.root);
    expect(recorded.images).toEqual(every('pulled'));
    for (const service of SERVICES) expect(recorded.buildOutput).toMatch(new RegExp(`^${service}: pulled `, 'm'));
    expect(await get(`http://127.0.0.1:${hostPortsB['svc-0']}/health`)).toBe('ok\n');
    expect(await get(`http://127.0.0.1:${hostPortsB['svc-1']}/version.txt`)).toBe('svc-1 1\n');
    // B's own secret is in B's container (copied in at up), A's is nowhere on B.
    const containerB = docker(['ps', '-q', '--filter', 'label=io.local-dev.service=svc-1'], engineB());
    expect(docker(['exec', containerB, 'cat', '/app/secret.env'], engineB())).toBe(SECRET_B);
  });

  it('no pushed image holds a byte of an injected secret file (docker save of every image in the registry)', async () => {
    const refs: string[] = [];
    for (const repository of await registry.repositories())
      for (const tag of await registry.tags(repository)) refs.push(`${registry.host}/${repository}:${tag}`);
    expect(refs.length).toBeGreaterThanOrEqual(SERVICES.length);
    for (const ref of refs) {
      docker(['pull', '--quiet', ref], engineB());
      const saved = path.join(path.dirname(wrapperB.log), 'saved.tar');
      docker(['save', '--output', saved, ref], engineB());
      const bytes = readFileSync(saved);
      // Layers are plain tar inside the saved archive: an injected file's content would be there as written.
      expect({ ref, holdsSecretA: bytes.includes(SECRET_A), holdsSecretB: bytes.includes(SECRET_B) }).toEqual({
        ref,
        holdsSecretA: false,
        holdsSecretB: false,
      });
      rmSync(saved);
    }
  });

  it('one repo changed on A: only its images are rebuilt and pushed; B pulls exactly those', async () => {
    const cloneA = path.join(stackA.workspace.root, 'cloned/svc-1');
    writeFileSync(path.join(cloneA, 'version.txt'), 'svc-1 2\n');
    git(cloneA, 'commit', '-q', '-am', 'svc-1 2');
    git(cloneA, 'push', '-q', 'origin', 'HEAD:main');
    const runA = await upAll('A');
    expect(runA.built).toEqual(['svc-1']);
    expect(runA.pushed).toEqual(['svc-1']);
    expect(await pushesSettled(['svc-1'])).toEqual({ 'svc-1': 'pushed' });

    const runB = await upAll('B', ['--refresh']);
    expect(runB.built).toEqual([]);
    expect(runB.pulled).toEqual(['svc-1']);
    // svc-0 and its worker: Nx cache hits or present, never pulled or built again.
    expect(Object.values(lastRun(workspaceB.root).images).filter((image) => image === 'pulled' || image === 'built')).toEqual(['pulled']);
    expect(await get(`http://127.0.0.1:${hostPortsB['svc-1']}/version.txt`)).toBe('svc-1 2\n');
  });

  it('the registry stopped in the middle of a run: the run finishes, building what it could not pull', async () => {
    // B loses its images (as a reinstalled laptop would); the registry ends right after the first pull.
    docker(['rm', '-f', ...docker(['ps', '-aq', '--filter', 'label=io.local-dev.service'], engineB()).split('\n').filter(Boolean)], engineB());
    const images = docker(['images', '-q', '--filter', 'label=io.local-dev.service'], engineB()).split('\n').filter(Boolean);
    if (images.length > 0) docker(['rmi', '-f', ...new Set(images)], engineB());
    wrapperB.armStop(registry.pid()!);
    const run = await upAll('B', ['--skip-nx-cache', '--parallel=1']);
    expect(registry.running()).toBe(false);
    expect(run.pulled).toHaveLength(1);
    expect([...run.pulled, ...run.built].sort()).toEqual(SERVICES);
    expect(run.built.length).toBeGreaterThan(0);
    // Said once for the run, not once per service.
    const recorded = lastRun(workspaceB.root);
    expect(recorded.buildOutput.match(/^registry .* cannot be used .*$/gm) ?? []).toHaveLength(1);
    expect(Object.values(recorded.images).sort()).toEqual([...run.built.map(() => 'built'), ...run.pulled.map(() => 'pulled')].sort());
    expect(await get(`http://127.0.0.1:${hostPortsB['svc-1']}/version.txt`)).toBe('svc-1 2\n');
    await registry.start();
  });
});
