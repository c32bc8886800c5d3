/**
 * image-source.ts within a recorded run (the real run record in a temporary workspace): a registry
 * found down is said once and not asked again for the rest of the run. The registry is a real TCP
 * server on 127.0.0.1 that accepts connections and never answers.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startSilentServer, startTestRegistry, type SilentServer, type TestRegistry } from '../../e2e/support/registry';
import { LABELS } from '../core/naming';
import { recordRunStart } from '../core/run-record';
import { workspacePaths } from '../core/workspace';
import type { ServiceImage } from './image';
import { pullFromRegistry } from './image-source';

jest.setTimeout(30_000);

describe('pullFromRegistry with a registry that does not answer', () => {
  let silent: SilentServer;
  let root: string;

  beforeAll(async () => {
    silent = await startSilentServer();
  });
  afterAll(() => silent.close());
  beforeEach(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'local-dev-image-source-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('is asked once per run: the next services build at once, and it is said once', async () => {
    await recordRunStart(root, 'run-1', ['node', 'nx', 'run-many', '-t', 'up']);
    const registry = { url: `127.0.0.1:${silent.port}/local-dev`, push: false };
    const target = (service: string) =>
      ({ sources: { service }, portableHash: 'a'.repeat(64), image: `local-dev/${service}:x`, platform: 'linux/amd64' }) as unknown as ServiceImage;
    const said: string[] = [];
    expect(await pullFromRegistry(target('svc-0'), registry, workspacePaths(root), {}, (line) => said.push(line))).toBe(false);
    const asked = silent.connections();
    expect(asked).toBeGreaterThan(0);
    for (const service of ['svc-1', 'svc-2']) {
      expect(await pullFromRegistry(target(service), registry, workspacePaths(root), {}, (line) => said.push(line))).toBe(false);
    }
    expect(silent.connections()).toBe(asked);
    expect(said).toEqual([expect.stringMatching(/^registry 127\.0\.0\.1:\d+\/local-dev cannot be used \(.*\): building instead, for this whole run/)]);
  });
});

describe('pullFromRegistry checks what it pulled (a real docker-registry)', () => {
  let registry: TestRegistry;
  let root: string;
  const portableHash = 'b'.repeat(64);
  const docker = (args: string[], input?: string) => spawnSync('docker', args, { encoding: 'utf8', input, env: { ...process.env, DOCKER_BUILDKIT: '0' } });

  beforeAll(async () => {
    registry = await startTestRegistry();
    const ref = `${registry.host}/local-dev/arch:${portableHash}`;
    expect(docker(['build', '--quiet', '--tag', ref, '--label', `${LABELS.portableHash}=${portableHash}`, '-'], 'FROM busybox:1.36\n').status).toBe(0);
    expect(docker(['push', ref]).status).toBe(0);
    docker(['rmi', ref]);
    root = mkdtempSync(path.join(os.tmpdir(), 'local-dev-image-source-arch-'));
  });
  afterAll(async () => {
    await registry.remove();
    rmSync(root, { recursive: true, force: true });
  });

  it('refuses an image of another architecture than the engine’s, removes it and says why', async () => {
    const engine = docker(['version', '--format', '{{.Server.Os}}/{{.Server.Arch}}']).stdout.trim();
    const other = engine.endsWith('/arm64') ? 'linux/amd64' : 'linux/arm64';
    // The target's platform is what the engine said when the hash was made: here another one, as an arm64 laptop's would be.
    const target = { sources: { service: 'arch' }, portableHash, image: `local-dev/arch:${process.pid}`, platform: other } as unknown as ServiceImage;
    const said: string[] = [];
    expect(await pullFromRegistry(target, { url: `${registry.host}/local-dev`, push: false }, workspacePaths(root), {}, (line) => said.push(line))).toBe(false);
    expect(said).toEqual([
      `arch: refused ${registry.host}/local-dev/arch:${portableHash}: it is built for ${engine}, and this engine runs ${other} — removed it; building instead`,
    ]);
    expect(docker(['image', 'inspect', `${registry.host}/local-dev/arch:${portableHash}`]).status).not.toBe(0);
  });
});
