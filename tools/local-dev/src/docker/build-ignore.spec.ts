import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { ServiceModel } from '../config/model';
import type { PlannedFile } from '../inject/plan';
import { buildIgnoresFor, planBuildIgnores } from './build-ignore';

const config = (dest: string): PlannedFile => ({ dest, kind: 'config', origin: `configs/s1/${dest}`, source: { type: 'file', path: `configs/s1/${dest}` } });
const dockerfile = (dest: string): PlannedFile => ({
  dest,
  kind: 'dockerfile',
  origin: `repos_docker_files/${dest}`,
  source: { type: 'file', path: `repos_docker_files/${dest}` },
});

describe('planBuildIgnores', () => {
  it("writes <Dockerfile>.dockerignore for a simple Dockerfile, and says why another one's image stays local-only", () => {
    const { files, notes } = planBuildIgnores({
      files: [config('.env'), config('ignored/token'), dockerfile('api.dev.Dockerfile'), dockerfile('worker.dev.Dockerfile')],
      dockerfileTexts: new Map([
        ['api.dev.Dockerfile', 'FROM busybox\nWORKDIR /app\nCOPY . .\n'],
        ['worker.dev.Dockerfile', 'FROM busybox\nADD . /app\n'],
      ]),
      buildArgs: new Map(),
      repoIgnoreText: 'ignored\n',
    });
    expect(files).toEqual([
      {
        dest: 'api.dev.Dockerfile.dockerignore',
        kind: 'build-ignore',
        origin: 'repos_docker_files/api.dev.Dockerfile',
        source: { type: 'text', text: 'ignored\n# local-dev: injected secret files, kept out of the image and copied into the container at up\n/.env\n' },
        note: 'keeps .env out of the image; up copies .env to /app/.env',
      },
    ]);
    expect(notes).toEqual([expect.stringMatching(/^worker\.dev\.Dockerfile: its image stays on this laptop \(local-only, never pushed\): .*ADD copies \.env/)]);
  });

  it('writes nothing when the context holds no secret file', () => {
    const none = planBuildIgnores({
      files: [dockerfile('api.dev.Dockerfile')],
      dockerfileTexts: new Map([['api.dev.Dockerfile', 'FROM busybox\nADD . /app\n']]),
      buildArgs: new Map(),
      repoIgnoreText: '',
    });
    expect(none).toEqual({ files: [], notes: [] });
  });
});

describe('buildIgnoresFor (real files in a temporary workspace)', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'build-ignore-'));
    mkdirSync(path.join(root, 'repos_docker_files'), { recursive: true });
    mkdirSync(path.join(root, 'cloned', 'api'), { recursive: true });
    // The final stage starts from the stage holding the secret only when BASE=build.
    writeFileSync(path.join(root, 'repos_docker_files', 'dev.Dockerfile'), 'ARG BASE=busybox\nFROM busybox AS build\nCOPY . /src\nFROM ${BASE}\n');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it("reads a Dockerfile's build args from the clone's own service, not another repo's service with a Dockerfile of the same name", () => {
    const service = (name: string, dir: string, buildArgs: Record<string, string>) =>
      ({ name, dir, dockerfile: 'dev.Dockerfile', buildArgs }) as unknown as ServiceModel;
    const model = { services: [service('other', 'other', {}), service('api', 'api', { BASE: 'build' })] };
    const plan = { files: [config('.env'), dockerfile('dev.Dockerfile')], notes: [], problems: [] };
    const { files, notes } = buildIgnoresFor(model, root)(plan, path.join(root, 'cloned', 'api'));
    expect(notes).toEqual([]);
    expect(files).toEqual([expect.objectContaining({ dest: 'dev.Dockerfile.dockerignore', note: 'keeps .env out of the image; up copies .env to /src/.env' })]);
  });
});
