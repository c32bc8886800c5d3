/**
 * Secrets out of shared images (issue 24), on the real engine: a service whose Dockerfile does
 * `COPY . .` with an injected secret file is built without it (inject-config's generated
 * `<Dockerfile>.dockerignore`) and gets it at `up` (create → cp → start), while a Dockerfile local-dev
 * cannot read simply (ADD) keeps building as before, secret included, and is local-only.
 * The executors run as Nx runs them (inject-config, build-image, docker-compose:generate, up).
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import buildImageExecutor from '../executors/build-image/build-image.impl';
import composeFileExecutor from '../executors/compose-file/compose-file.impl';
import injectConfigExecutor from '../executors/inject-config/inject-config.impl';
import upExecutor from '../executors/up/up.impl';
import { workspaceId } from '../src/core/naming';
import { captureOutput, docker, executorContext, freePort, get, git, makeClone, removeByWorkspaceLabel } from './fixtures/stack/stack';
import { createTempWorkspace, type TempWorkspace } from './support/temp-workspace';
import { startTestRegistry, type TestRegistry } from './support/registry';
import { readPushStatus } from '../src/docker/registry';
import { workspacePaths } from '../src/core/workspace';

jest.setTimeout(240_000);

const SECRET = `db-password-${Math.random().toString(36).slice(2)}-never-in-a-layer`;

/** Serves the secret file as /health: healthy only when the file was there before the app started. */
const server = (port: number, copyLine: string, secretPath: string) =>
  [
    'FROM busybox:1.36',
    'WORKDIR /app',
    copyLine,
    `CMD ["sh", "-c", "mkdir -p /www && cat ${secretPath} > /www/health && exec httpd -f -p ${port} -h /www"]`,
    '',
  ].join('\n');

describe('secrets out of shared images (real engine)', () => {
  let workspace: TempWorkspace;
  let wsId: string;
  let ports: { shared: number; legacy: number };
  const context = (project: string, target: string) => executorContext(workspace.root, project, target);
  const containerOf = (service: string) =>
    docker(['ps', '-q', '--filter', `label=io.local-dev.workspace=${wsId}`, '--filter', `label=io.local-dev.service=${service}`]);
  const imageOf = (service: string) => docker(['inspect', '--format', '{{.Config.Image}}', containerOf(service)]);
  const savedHoldsSecret = (image: string) => {
    const saved = path.join(workspace.root, `${image.replace(/[/:]/g, '_')}.tar`);
    docker(['save', '--output', saved, image]);
    return readFileSync(saved).includes(SECRET);
  };
  const buildRecord = (service: string) =>
    JSON.parse(readFileSync(path.join(workspace.root, 'logs/images', `${service}.json`), 'utf8')) as Record<string, unknown>;

  beforeAll(async () => {
    ports = { shared: await freePort(), legacy: await freePort() };
    workspace = createTempWorkspace({
      name: 'shared-image',
      config: `
network: ld-e2e-shared-${process.pid}
default-namespace: s1
services:
  shared:
    repo: file:///nowhere/shared.git
    ports: ["${ports.shared}:8080"]
    healthcheck: { http: /health, timeout: 30 }
    configs:
      - { source: shared.env, dest: config/app.env }
  legacy:
    repo: file:///nowhere/legacy.git
    ports: ["${ports.legacy}:8081"]
    healthcheck: { http: /health, timeout: 30 }
    configs:
      - { source: legacy.env, dest: config/app.env }
`,
      files: {
        'configs/s1/shared.env': `${SECRET}\n`,
        'configs/s1/legacy.env': `${SECRET}\n`,
        'repos_docker_files/shared.dev.Dockerfile': server(8080, 'COPY . .', '/app/config/app.env'),
        'repos_docker_files/legacy.dev.Dockerfile': server(8081, 'ADD . /app', '/app/config/app.env'),
      },
    });
    wsId = workspaceId(workspace.root);
    for (const service of ['shared', 'legacy']) {
      makeClone(path.join(workspace.root, 'cloned', service), { 'app.py': 'print("hi")\n', '.dockerignore': '*.pyc\n', 'base.yaml': 'a: 1\n' });
      const injected = await captureOutput(() => injectConfigExecutor({ service }, context(service, 'inject-config')));
      expect(injected).toMatchObject({ result: { success: true } });
    }
    await expect(captureOutput(() => composeFileExecutor({}, context('docker-compose', 'generate')))).resolves.toMatchObject({ result: { success: true } });
  });

  afterAll(() => {
    if (workspace) {
      removeByWorkspaceLabel(wsId);
      workspace.remove();
    }
  });

  it('inject-config writes the generated ignore file for the simple Dockerfile only, invisible to git', () => {
    const ignore = readFileSync(path.join(workspace.root, 'cloned/shared/shared.dev.Dockerfile.dockerignore'), 'utf8');
    expect(ignore).toBe('*.pyc\n# local-dev: injected secret files, kept out of the image and copied into the container at up\n/config/app.env\n');
    expect(git(path.join(workspace.root, 'cloned/shared'), 'status', '--porcelain')).toBe('');
    expect(() => readFileSync(path.join(workspace.root, 'cloned/legacy/legacy.dev.Dockerfile.dockerignore'))).toThrow(/ENOENT/);
  });

  it('builds the COPY . image without any byte of the secret, and up copies it in before the app starts', async () => {
    const built = await captureOutput(() => buildImageExecutor({ service: 'shared' }, context('shared', 'build-image')));
    expect(built).toMatchObject({ result: { success: true } });
    expect(buildRecord('shared')).toMatchObject({ shareable: true });
    const up = await captureOutput(() => upExecutor({ service: 'shared' }, context('shared', 'up')));
    expect({ ...up.result, output: up.result.success ? '' : up.output }).toEqual({ success: true, output: '' });
    expect(up.output).toContain('shared: healthy');
    expect(await get(`http://127.0.0.1:${ports.shared}/health`)).toBe(`${SECRET}\n`);
    expect(docker(['exec', containerOf('shared'), 'cat', '/app/config/app.env'])).toBe(SECRET);
    // The rest of the clone is in the image as before.
    expect(docker(['run', '--rm', '--entrypoint', 'ls', imageOf('shared'), '/app']).split('\n')).toEqual(expect.arrayContaining(['app.py', 'base.yaml']));
    expect(savedHoldsSecret(imageOf('shared'))).toBe(false);
    expect(docker(['image', 'inspect', '--format', '{{index .Config.Labels "io.local-dev.portable-hash"}}', imageOf('shared')])).toMatch(/^[0-9a-f]{64}$/);
  });

  it('keeps a Dockerfile it cannot read simply (ADD) local-only, with the reason, and its image as before: secret inside, service healthy', async () => {
    const built = await captureOutput(() => buildImageExecutor({ service: 'legacy' }, context('legacy', 'build-image')));
    expect(built).toMatchObject({ result: { success: true } });
    expect(buildRecord('legacy')).toMatchObject({ shareable: false, localOnly: expect.stringMatching(/ADD copies config\/app\.env/) });
    expect(built.output).toMatch(/legacy: local-only \(never pushed\): .*ADD copies config\/app\.env/);
    const up = await captureOutput(() => upExecutor({ service: 'legacy' }, context('legacy', 'up')));
    expect({ ...up.result, output: up.result.success ? '' : up.output }).toEqual({ success: true, output: '' });
    expect(await get(`http://127.0.0.1:${ports.legacy}/health`)).toBe(`${SECRET}\n`);
    expect(savedHoldsSecret(imageOf('legacy'))).toBe(true);
  });

  describe('with a registry (LOCAL_DEV_REGISTRY, a real docker-registry on 127.0.0.1)', () => {
    let registry: TestRegistry;
    const build = (service: string) => captureOutput(() => buildImageExecutor({ service }, context(service, 'build-image')));
    const dropLocal = (service: string) => {
      const images = docker(['images', '-q', '--filter', `label=io.local-dev.workspace=${wsId}`, '--filter', `label=io.local-dev.service=${service}`]).split(
        '\n',
      );
      for (const id of new Set(images.filter(Boolean))) docker(['rmi', '--force', id]);
    };
    const refOf = (service: string) => `${registry.host}/ld/${service}:${String(buildRecord(service).portableHash)}`;

    beforeAll(async () => {
      // The images are removed and fetched again below: the containers of the tests above go first.
      const containers = docker(['ps', '-aq', '--filter', `label=io.local-dev.workspace=${wsId}`])
        .split('\n')
        .filter(Boolean);
      if (containers.length > 0) docker(['rm', '--force', ...containers]);
      registry = await startTestRegistry();
      process.env.LOCAL_DEV_REGISTRY = `${registry.host}/ld`;
      process.env.LOCAL_DEV_REGISTRY_PUSH = '1';
    });
    afterAll(async () => {
      delete process.env.LOCAL_DEV_REGISTRY;
      delete process.env.LOCAL_DEV_REGISTRY_PUSH;
      await registry?.remove();
    });

    it('pushes a built shareable image in the background (never the local-only one), and pulls it back instead of building', async () => {
      dropLocal('shared');
      dropLocal('legacy');
      const built = await build('shared');
      expect(built.output).toMatch(/shared: built .*\n[\s\S]*shared: pushing .* in the background/);
      const legacy = await build('legacy');
      expect(legacy.output).toMatch(/legacy: not pushed: its image is local-only/);
      for (let waited = 0; readPushStatus(workspacePaths(workspace.root), 'shared')?.state === 'running' && waited < 60_000; waited += 200) {
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(readPushStatus(workspacePaths(workspace.root), 'shared')?.state).toBe('pushed');
      expect(await registry.repositories()).toEqual(['ld/shared']);
      // The pushed image holds no byte of the secret.
      docker(['pull', refOf('shared')]);
      expect(savedHoldsSecret(refOf('shared'))).toBe(false);
      docker(['rmi', refOf('shared')]);

      dropLocal('shared');
      const again = await build('shared');
      expect(again.result).toEqual({ success: true });
      expect(again.output).toContain(`shared: pulled ${refOf('shared')}`);
      expect(again.output).not.toMatch(/shared: building/);
      const local = String(buildRecord('shared').image);
      expect(docker(['image', 'inspect', '--format', '{{index .Config.Labels "io.local-dev.workspace"}}', local])).toBe(wsId);
    });

    it('refuses a registry image whose label is not the portable hash asked for, and builds instead', async () => {
      const ref = refOf('shared');
      docker(['tag', 'busybox:1.36', ref]);
      docker(['push', ref]);
      docker(['rmi', ref]);
      dropLocal('shared');
      const refused = await build('shared');
      expect(refused.result).toEqual({ success: true });
      expect(refused.output).toMatch(/shared: refused .*: its label io\.local-dev\.portable-hash is "", not [0-9a-f]{64} — removed it; building instead/);
      expect(refused.output).toMatch(/shared: built /);
    });

    it('builds when the registry is down, and says so', async () => {
      await registry.stop();
      dropLocal('shared');
      const down = await build('shared');
      expect(down.result).toEqual({ success: true });
      expect(down.output).toMatch(/registry .* cannot be used .*building instead/);
      expect(down.output).toMatch(/shared: built /);
    });
  });
});
