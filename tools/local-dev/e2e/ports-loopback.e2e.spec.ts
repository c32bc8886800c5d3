/**
 * Where published ports listen, on the real engine. A service port config.yaml gives no address,
 * and every debugger port, are published on 127.0.0.1 only — not on Docker's default 0.0.0.0 and
 * [::], where anyone on the same Wi-Fi reaches them (and a debugger runs any code it is sent). A
 * port written "0.0.0.0:p:c" is on 0.0.0.0, as asked. Both ways a container is started agree: `up`
 * (its own `docker run`) and compose running the generated docker-compose.yml. The port preflight
 * checks the address that is actually bound.
 */
import * as net from 'node:net';
import { networkInterfaces } from 'node:os';
import * as path from 'node:path';
import composeFileExecutor from '../executors/compose-file/compose-file.impl';
import downExecutor from '../executors/down/down.impl';
import upExecutor from '../executors/up/up.impl';
import { loadConfig } from '../src/config/load';
import { exec } from '../src/core/exec';
import { detectCompose } from '../src/docker/client';
import { composeProjectName, imageVariable, workspaceId } from '../src/core/naming';
import {
  captureOutput,
  docker,
  executorContext,
  expectSuccess,
  freePort,
  get,
  httpDockerfile,
  injectDockerfile,
  makeClone,
  removeByWorkspaceLabel,
} from './fixtures/stack/stack';
import { createTempWorkspace, type TempWorkspace } from './support/temp-workspace';

jest.setTimeout(180_000);

const SERVICES = ['quiet', 'open'] as const;

/** An IPv4 address of this machine that other machines reach (not loopback): where a café neighbour would connect. */
function networkAddress(): string {
  const address = Object.values(networkInterfaces())
    .flat()
    .find((candidate) => candidate !== undefined && candidate.family === 'IPv4' && !candidate.internal);
  if (!address) throw new Error('this machine has no non-loopback IPv4 address to test reachability from the network with');
  return address.address;
}

/** Resolves with the error code of a connection to host:port ('connected' when it was accepted). */
function connect(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

function listen(host: string, port: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ port, host }, () => resolve(server));
  });
}

describe('published ports on the real engine: 127.0.0.1 unless config.yaml names an address', () => {
  let workspace: TempWorkspace;
  let wsId: string;
  let ports: { quiet: number; open: number };
  let debuggers: { quiet: number; open: number };

  const context = (project: string, target: string) => executorContext(workspace.root, project, target);
  const up = (service: string) => captureOutput(() => upExecutor({ service }, context(service, 'up')));
  const down = (service: string) => captureOutput(() => downExecutor({ service }, context(service, 'down')));
  const containerOf = (service: string) =>
    docker(['ps', '-q', '--filter', `label=io.local-dev.workspace=${wsId}`, '--filter', `label=io.local-dev.service=${service}`]);
  /** What the engine publishes for a service's container: container port → "host address:host port" each. */
  const bindings = (service: string): Record<string, string[]> => {
    const published = JSON.parse(docker(['inspect', '--format', '{{json .NetworkSettings.Ports}}', containerOf(service)])) as Record<
      string,
      Array<{ HostIp: string; HostPort: string }> | null
    >;
    return Object.fromEntries(Object.entries(published).map(([port, hosts]) => [port, (hosts ?? []).map((host) => `${host.HostIp}:${host.HostPort}`).sort()]));
  };
  const expected = () => ({
    quiet: { '8080/tcp': [`127.0.0.1:${ports.quiet}`], '5678/tcp': [`127.0.0.1:${debuggers.quiet}`] },
    // The address config.yaml asks for, and only it (no [::]); the debugger stays on loopback.
    open: { '8080/tcp': [`0.0.0.0:${ports.open}`], '9229/tcp': [`127.0.0.1:${debuggers.open}`] },
  });

  beforeAll(async () => {
    ports = { quiet: await freePort(), open: await freePort() };
    workspace = createTempWorkspace({
      name: 'ports-loopback',
      config: `
network: ld-e2e-ports-${process.pid}
default-namespace: s1
services:
  # Never started. Debugger host ports are handed out from 5726 in every workspace, skipping the
  # ports config.yaml publishes: stack.e2e (which may run at the same time) takes 5726 and 5727,
  # so these push this suite's debuggers past them.
  placeholder:
    repo: file:///nowhere/placeholder.git
    ports: ["5726:5726", "5727:5727"]
  quiet:
    repo: file:///nowhere/quiet.git
    ports: ["${ports.quiet}:8080"]
    debug-port: 5678
    healthcheck: { http: /health, timeout: 30 }
  open:
    repo: file:///nowhere/open.git
    ports: ["0.0.0.0:${ports.open}:8080"]
    debug-port: 9229
    healthcheck: { http: /health, timeout: 30 }
`,
      files: Object.fromEntries(SERVICES.map((service) => [`repos_docker_files/${service}.dev.Dockerfile`, httpDockerfile(8080)])),
    });
    wsId = workspaceId(workspace.root);
    for (const service of SERVICES) {
      makeClone(path.join(workspace.root, 'cloned', service), { 'version.txt': `${service}\n` });
      injectDockerfile(workspace.root, service, `${service}.dev.Dockerfile`);
    }
    const model = loadConfig(workspace.root);
    const debugPort = (name: string) => model.services.find((service) => service.name === name)?.debug?.hostPort ?? 0;
    debuggers = { quiet: debugPort('quiet'), open: debugPort('open') };
    expectSuccess(await captureOutput(() => composeFileExecutor({}, context('docker-compose', 'generate'))));
  });

  afterAll(() => {
    if (!workspace) return;
    removeByWorkspaceLabel(wsId);
    workspace.remove();
  });

  it('up (one docker run): a service port and its debugger on 127.0.0.1 only; "0.0.0.0:p:c" on 0.0.0.0 only, its debugger still on 127.0.0.1', async () => {
    for (const service of SERVICES) expectSuccess(await up(service));
    expect({ quiet: bindings('quiet'), open: bindings('open') }).toEqual(expected());
    expect(
      docker(['port', containerOf('quiet')])
        .split('\n')
        .sort(),
    ).toEqual([`5678/tcp -> 127.0.0.1:${debuggers.quiet}`, `8080/tcp -> 127.0.0.1:${ports.quiet}`]);
  });

  it("only the port config.yaml opens answers on this machine's network address; all answer on 127.0.0.1", async () => {
    const lan = networkAddress();
    expect(await get(`http://127.0.0.1:${ports.quiet}/health`)).toBe('ok\n');
    expect(await get(`http://127.0.0.1:${ports.open}/health`)).toBe('ok\n');
    expect(await get(`http://${lan}:${ports.open}/health`)).toBe('ok\n');
    expect(await connect(lan, ports.quiet)).toBe('ECONNREFUSED');
    expect(await connect(lan, debuggers.quiet)).toBe('ECONNREFUSED');
    expect(await connect(lan, debuggers.open)).toBe('ECONNREFUSED');
  });

  it('compose, running the generated docker-compose.yml itself, publishes on the same addresses', async () => {
    const images = Object.fromEntries(
      SERVICES.map((service) => [imageVariable(service), docker(['inspect', '--format', '{{.Config.Image}}', containerOf(service)])]),
    );
    for (const service of SERVICES) expectSuccess(await down(service));
    const compose = await detectCompose();
    await exec(
      compose.program,
      [...compose.prefix, '--project-name', composeProjectName(workspace.root), '--file', 'docker-compose.yml', 'up', '--detach', '--no-build', ...SERVICES],
      {
        cwd: workspace.root,
        env: images,
        timeoutMs: 120_000,
      },
    );
    expect({ quiet: bindings('quiet'), open: bindings('open') }).toEqual(expected());
  });

  it('the port preflight checks the address up binds: a holder on [::1] only does not stop "p:c"; one on 127.0.0.2 stops "0.0.0.0:p:c" with its name', async () => {
    for (const service of SERVICES) expectSuccess(await down(service));
    const ipv6Only = await listen('::1', ports.quiet);
    const otherLoopback = await listen('127.0.0.2', ports.open);
    try {
      expectSuccess(await up('quiet'));
      expect(bindings('quiet')['8080/tcp']).toEqual([`127.0.0.1:${ports.quiet}`]);
      const refused = await up('open');
      expect(refused.result).toEqual({ success: false });
      expect(refused.output).toContain(`cannot start open: host port ${ports.open} ("0.0.0.0:${ports.open}:8080") is taken by pid ${process.pid}`);
      expect(containerOf('open')).toBe('');
    } finally {
      await Promise.all([ipv6Only, otherLoopback].map((server) => new Promise((resolve) => server.close(resolve))));
    }
  });
});
