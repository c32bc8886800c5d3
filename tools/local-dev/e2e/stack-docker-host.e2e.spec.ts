/**
 * DOCKER_HOST and docker contexts are honoured: with a second dockerd on its own socket, build-image
 * and up build and run there (compose v1 included, which does not read contexts itself), and
 * nothing appears in the default engine.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import composeFileExecutor from '../executors/compose-file/compose-file.impl';
import downExecutor from '../executors/down/down.impl';
import upExecutor from '../executors/up/up.impl';
import { workspaceId } from '../src/core/naming';
import {
  captureOutput,
  docker,
  executorContext,
  expectSuccess,
  freePort,
  get,
  injectDockerfile,
  makeClone,
  removeByWorkspaceLabel,
} from './fixtures/stack/stack';
import { startSecondDockerd, type SecondDockerd } from './fixtures/stack/second-dockerd';
import { createTempWorkspace, type TempWorkspace } from './support/temp-workspace';

jest.setTimeout(120_000);

const DOCKER_VARIABLES = ['DOCKER_HOST', 'DOCKER_CONTEXT', 'DOCKER_CONFIG'] as const;

describe('a Docker engine chosen by DOCKER_HOST or a docker context', () => {
  let second: SecondDockerd;
  let workspace: TempWorkspace;
  let wsId: string;
  let port: number;
  let dockerConfig: string;
  const saved = Object.fromEntries(DOCKER_VARIABLES.map((name) => [name, process.env[name]]));
  const defaultEngine = { ...process.env, DOCKER_HOST: 'unix:///var/run/docker.sock', DOCKER_CONTEXT: undefined };
  const secondEngine = () => ({ ...process.env, DOCKER_HOST: second.host, DOCKER_CONTEXT: undefined });
  const context = (target: string) => executorContext(workspace.root, target === 'generate' ? 'docker-compose' : 'solo', target);
  const containersIn = (env: NodeJS.ProcessEnv) => docker(['ps', '-q', '--filter', `label=io.local-dev.workspace=${wsId}`], env);
  const imagesIn = (env: NodeJS.ProcessEnv) => docker(['images', '-q', '--filter', `label=io.local-dev.workspace=${wsId}`], env);

  beforeAll(async () => {
    second = await startSecondDockerd();
    port = await freePort();
    workspace = createTempWorkspace({
      name: 'docker-host',
      config: `
network: ld-e2e-host-${process.pid}
services:
  solo:
    repo: file:///nowhere/solo.git
    ports: ["${port}:8080"]
    healthcheck: { http: /health, timeout: 30 }
`,
      files: {
        'repos_docker_files/solo.dev.Dockerfile': 'FROM busybox:1.36\nCOPY . /www\nRUN test -f /www/health\nCMD ["httpd", "-f", "-p", "8080", "-h", "/www"]\n',
      },
    });
    wsId = workspaceId(workspace.root);
    makeClone(path.join(workspace.root, 'cloned/solo'), { 'version.txt': 'solo\n', health: 'ok\n' });
    injectDockerfile(workspace.root, 'solo', 'solo.dev.Dockerfile');
    dockerConfig = mkdtempSync(path.join(tmpdir(), 'local-dev-docker-config-'));
    expectSuccess(await captureOutput(() => composeFileExecutor({}, context('generate'))));
  });

  afterAll(async () => {
    for (const name of DOCKER_VARIABLES) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
    if (second) {
      if (workspace) removeByWorkspaceLabel(workspaceId(workspace.root), secondEngine());
      await second.stop();
    }
    if (workspace) removeByWorkspaceLabel(workspaceId(workspace.root), defaultEngine);
    workspace?.remove();
    if (dockerConfig) rmSync(dockerConfig, { recursive: true, force: true });
  });

  it('builds and runs on the engine DOCKER_HOST names', async () => {
    process.env.DOCKER_HOST = second.host;
    expectSuccess(await captureOutput(() => upExecutor({ service: 'solo' }, context('up'))));
    expect(await get(`http://127.0.0.1:${port}/version.txt`)).toBe('solo\n');
    expect(containersIn(secondEngine())).not.toBe('');
    expect(imagesIn(secondEngine())).not.toBe('');
    expect(containersIn(defaultEngine)).toBe('');
    expect(imagesIn(defaultEngine)).toBe('');
    expectSuccess(await captureOutput(() => downExecutor({ service: 'solo' }, context('down'))));
    expect(containersIn(secondEngine())).toBe('');
  });

  it('follows the selected docker context when DOCKER_HOST is not set', async () => {
    process.env.DOCKER_CONFIG = dockerConfig;
    delete process.env.DOCKER_HOST;
    docker(['context', 'create', 'ld-second', '--docker', `host=${second.host}`], process.env);
    process.env.DOCKER_CONTEXT = 'ld-second';
    expectSuccess(await captureOutput(() => upExecutor({ service: 'solo' }, context('up'))));
    expect(await get(`http://127.0.0.1:${port}/health`)).toBe('ok\n');
    expect(containersIn(secondEngine())).not.toBe('');
    expect(containersIn(defaultEngine)).toBe('');
  });

  it("leaves the default engine's bridge alone", () => {
    expect(docker(['run', '--rm', 'busybox:1.36', 'echo', 'default bridge works'], defaultEngine)).toBe('default bridge works');
  });
});
