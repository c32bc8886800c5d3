import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DockerError } from '../core/errors';
import {
  atLeast,
  chooseBuildMode,
  detectBuildClient,
  detectionKey,
  dockerCandidates,
  findBuildClient,
  findCompose,
  parseComposeVersion,
  parseVersion,
} from './client';

describe('version parsing', () => {
  it('reads the versions docker clients print', () => {
    expect(parseVersion('20.10.24+dfsg1')).toEqual([20, 10, 24]);
    expect(parseVersion('Docker version 28.2.2, build e6534b4')).toEqual([28, 2, 2]);
    expect(parseVersion('garbage')).toEqual([0, 0, 0]);
    expect(atLeast('20.10.24+dfsg1', 20, 10)).toBe(true);
    expect(atLeast('19.03.1', 20, 10)).toBe(false);
  });

  it('reads compose versions from v1 and v2', () => {
    expect(parseComposeVersion('1.29.2\n')).toBe('1.29.2');
    expect(parseComposeVersion('v2.27.0')).toBe('2.27.0');
  });
});

describe('chooseBuildMode', () => {
  it('prefers buildx, else BuildKit through DOCKER_BUILDKIT=1 on a pre-23 client, else nothing', () => {
    expect(chooseBuildMode({ buildx: true, version: '28.2.2' })).toBe('buildx');
    expect(chooseBuildMode({ buildx: false, version: '20.10.24+dfsg1' })).toBe('buildkit-env');
    expect(chooseBuildMode({ buildx: false, version: '28.2.2' })).toBeUndefined();
    expect(chooseBuildMode({ buildx: false, version: '17.12.0' })).toBeUndefined();
  });
});

describe('finding docker clients on PATH (real tiny programs)', () => {
  let folder: string;
  beforeEach(() => {
    folder = mkdtempSync(path.join(tmpdir(), 'local-dev-client-'));
  });
  afterEach(() => rmSync(folder, { recursive: true, force: true }));

  /** A fake docker: `buildx version` works only when `buildx`; `version` prints `version`. */
  function fakeDocker(dir: string, version: string, buildx: boolean): string {
    mkdirSync(path.join(folder, dir), { recursive: true });
    const program = path.join(folder, dir, 'docker');
    writeFileSync(
      program,
      `#!/bin/sh\nif [ "$1" = buildx ]; then ${buildx ? 'echo "github.com/docker/buildx v0.12.1"; exit 0' : 'echo "docker: unknown command: docker buildx" >&2; exit 1'}; fi\nif [ "$1" = version ]; then echo "${version}"; exit 0; fi\nexit 2\n`,
    );
    chmodSync(program, 0o755);
    return program;
  }

  it('lists each docker on PATH once, in PATH order', () => {
    const first = fakeDocker('a', '28.2.2', false);
    fakeDocker('b', '20.10.24', false);
    symlinkSync(path.join(folder, 'a'), path.join(folder, 'a-link'));
    const pathVariable = [path.join(folder, 'a'), path.join(folder, 'a-link'), path.join(folder, 'empty'), path.join(folder, 'b')].join(path.delimiter);
    expect(dockerCandidates(pathVariable)).toEqual([first, path.join(folder, 'b', 'docker')]);
  });

  it('skips a 28.x client without buildx and takes the 20.10 one behind it', async () => {
    const modern = fakeDocker('a', '28.2.2', false);
    const debian = fakeDocker('b', '20.10.24+dfsg1', false);
    await expect(findBuildClient([modern, debian])).resolves.toEqual({ program: debian, version: '20.10.24', mode: 'buildkit-env', secretFromEnv: true });
  });

  it('takes a client with buildx first', async () => {
    const modern = fakeDocker('a', '28.2.2', true);
    await expect(findBuildClient([modern])).resolves.toMatchObject({ program: modern, mode: 'buildx' });
  });

  it('explains what to install when no client can build with secrets', async () => {
    const modern = fakeDocker('a', '28.2.2', false);
    const failure = findBuildClient([modern]);
    await expect(failure).rejects.toBeInstanceOf(DockerError);
    await expect(failure).rejects.toThrow(`${modern} (28.2.2, no buildx)`);
    await expect(failure).rejects.toMatchObject({ fix: expect.stringContaining('buildx') });
  });

  it('detects again when PATH or the engine changes: a cached answer never speaks for another environment', async () => {
    const originalPath = process.env.PATH;
    const modern = fakeDocker('a', '28.2.2', true);
    const debian = fakeDocker('b', '20.10.24+dfsg1', false);
    try {
      process.env.PATH = path.dirname(modern);
      await expect(detectBuildClient()).resolves.toMatchObject({ program: modern, mode: 'buildx' });
      process.env.PATH = path.dirname(debian);
      await expect(detectBuildClient()).resolves.toMatchObject({ program: debian, mode: 'buildkit-env' });
    } finally {
      process.env.PATH = originalPath;
    }
    expect(detectionKey({ PATH: '/a', DOCKER_HOST: 'unix:///one.sock' })).not.toBe(detectionKey({ PATH: '/a', DOCKER_HOST: 'unix:///two.sock' }));
    expect(detectionKey({ PATH: '/a', DOCKER_CONTEXT: 'x' })).not.toBe(detectionKey({ PATH: '/a' }));
  });
});

describe('finding compose (real tiny programs on PATH)', () => {
  let folder: string;
  const originalPath = process.env.PATH;
  beforeEach(() => {
    folder = mkdtempSync(path.join(tmpdir(), 'local-dev-compose-'));
  });
  afterEach(() => {
    process.env.PATH = originalPath;
    rmSync(folder, { recursive: true, force: true });
  });
  const program = (name: string, body: string) => {
    writeFileSync(path.join(folder, name), `#!/bin/sh\n${body}\n`);
    chmodSync(path.join(folder, name), 0o755);
  };

  it('says a compose that does not answer hangs, instead of calling it not installed', async () => {
    program('docker', 'exit 1');
    program('docker-compose', 'exec sleep 30');
    process.env.PATH = `${folder}:/usr/bin:/bin`;
    const failure = findCompose(300);
    await expect(failure).rejects.toThrow(DockerError);
    await expect(failure).rejects.toThrow('`docker-compose version --short` did not answer within 0.3 s');
  });

  it('says not installed when neither answers at all', async () => {
    program('docker', 'exit 1');
    process.env.PATH = folder;
    await expect(findCompose(300)).rejects.toThrow('neither `docker compose` (v2) nor `docker-compose` (v1) is installed');
  });
});
