/**
 * serviceSources / serviceImage on a real workspace: a real git clone, inject-config's real
 * injection, the real engine (its platform; FROM scratch pulls nothing). The input hashes cover what
 * the build context really sends — no more (an IDE config the .dockerignore excludes), no less (a
 * git-ignored file COPY . sends), whatever the user's global git excludes say.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createServiceRunContext } from '../config/run-context';
import { injectConfigs } from '../inject/inject-configs';
import { buildIgnoresFor } from './build-ignore';
import { serviceImage, serviceSources } from './image';
import { sourceHash } from './input-hash';

jest.setTimeout(30_000);

describe('serviceSources: what the build context really sends', () => {
  let root: string;
  const clone = () => path.join(root, 'cloned', 'api');
  const git = (...args: string[]) => execFileSync('git', ['-c', 'user.email=t@t.invalid', '-c', 'user.name=t', '-C', clone(), ...args], { stdio: 'pipe' });
  const write = (file: string, text: string) => {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), text);
  };
  const run = (namespace = 's1') => createServiceRunContext(root, { service: 'api', namespace });
  const inject = async (namespace: string) => {
    const context = run(namespace);
    await injectConfigs({
      paths: context.paths,
      model: context.model,
      repo: context.repo,
      namespace,
      log: () => undefined,
      moreFiles: buildIgnoresFor(context.model, root),
    });
  };

  beforeEach(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'local-dev-image-'));
    write(
      'repos_docker_files/config.yaml',
      'services:\n  api:\n    repo: file:///nowhere/api.git\n    debug-port: 9229\n    configs:\n      - { source: api.env, dest: config/app.env }\n',
    );
    write('repos_docker_files/api.dev.Dockerfile', 'FROM scratch\nWORKDIR /app\nCOPY . .\n');
    for (const namespace of ['s1', 's2']) {
      write(`configs/${namespace}/api.env`, `SECRET=${namespace}\n`);
      write(`configs/${namespace}/debug-configs/api/.vscode/launch.json`, `{ "name": "attach to api in ${namespace}" }\n`);
    }
    mkdirSync(clone(), { recursive: true });
    git('init', '-q', '-b', 'main');
    write('cloned/api/app.py', 'print("v1")\n');
    write('cloned/api/.gitignore', 'local.env\n');
    write('cloned/api/.dockerignore', '.git\n.vscode\n');
    git('add', '-A');
    git('commit', '-q', '-m', 'one');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('gives s1 and s2 the same portable hash: an injected IDE config the .dockerignore excludes (launch.json: namespace, debugger port) is not an input', async () => {
    await inject('s1');
    const launch = path.join(clone(), '.vscode', 'launch.json');
    const s1Launch = readFileSync(launch, 'utf8');
    const s1 = await serviceImage(run('s1'));
    await inject('s2');
    expect(readFileSync(launch, 'utf8')).not.toBe(s1Launch);
    const s2 = await serviceImage(run('s2'));
    expect(s1.verdict.shareable).toBe(true);
    expect(Object.keys(s2.sources.injected)).not.toContain('.vscode/launch.json');
    expect(s2.portableHash).toBe(s1.portableHash);
    // Still two local tags: the namespaces' secret files differ.
    expect(s2.image).not.toBe(s1.image);
  });

  it("counts a git-ignored file COPY . sends (local.env), the same whatever the user's global git excludes say", async () => {
    write('cloned/api/local.env', 'MODE=a\n');
    write('cloned/api/notes.txt', 'an untracked file\n');
    const withA = sourceHash((await serviceSources(run())).sources);
    write('cloned/api/local.env', 'MODE=b\n');
    const withB = sourceHash((await serviceSources(run())).sources);
    expect(withB).not.toBe(withA);

    write('excludes', '*.env\nnotes.txt\n');
    write('gitconfig', `[core]\n\texcludesFile = ${path.join(root, 'excludes')}\n`);
    const before = process.env.GIT_CONFIG_GLOBAL;
    process.env.GIT_CONFIG_GLOBAL = path.join(root, 'gitconfig');
    try {
      expect(sourceHash((await serviceSources(run())).sources)).toBe(withB);
    } finally {
      if (before === undefined) delete process.env.GIT_CONFIG_GLOBAL;
      else process.env.GIT_CONFIG_GLOBAL = before;
    }
  });

  it('leaves out a file the .dockerignore excludes: it never reaches the image', async () => {
    const before = sourceHash((await serviceSources(run())).sources);
    write('cloned/api/.vscode/settings.json', '{}\n');
    expect(sourceHash((await serviceSources(run())).sources)).toBe(before);
  });
});
