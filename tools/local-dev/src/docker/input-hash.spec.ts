import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { contextFiles } from './build-context';
import { DockerError } from '../core/errors';
import {
  changedPaths,
  contextContent,
  hashFileOrAbsent,
  INPUT_HASH_VERSION,
  localImageHash,
  portableInputHash,
  readCloneState,
  sha256,
  sourceHash,
  type ContextContent,
  type PortableInputs,
  type SourceInputs,
} from './input-hash';

const sources: SourceInputs = {
  service: 'oms-api',
  workspace: 'ws1',
  namespace: 's1',
  clone: { tree: 'a'.repeat(40), changes: { 'b.txt': '-:2', 'a.txt': '-:1' } },
  dockerfile: 'FROM busybox:1.36\n',
  injected: { '.vscode/launch.json': 'h1' },
  secrets: { 'config/local.yaml': 's1' },
  buildArgs: { B: '2', A: '1' },
};
const shared: PortableInputs = { sources, baseImages: { 'busybox:1.36': 'sha256:b1' }, platform: 'linux/amd64', secretPlacement: 'kept-out' };
const holding: PortableInputs = { ...shared, secretPlacement: 'in-image' };
const withSources = (inputs: PortableInputs, change: Partial<SourceInputs>): PortableInputs => ({ ...inputs, sources: { ...inputs.sources, ...change } });

describe('portableInputHash', () => {
  it('is stable and does not depend on the order records were filled in', () => {
    const reordered = withSources(shared, { clone: { ...sources.clone, changes: { 'a.txt': '-:1', 'b.txt': '-:2' } }, buildArgs: { A: '1', B: '2' } });
    expect(portableInputHash(reordered)).toBe(portableInputHash(shared));
    expect(portableInputHash(shared)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('sorts every record, however it was filled in', () => {
    const keys = ['d', 'b', 'e', 'a', 'c'];
    const permutations = [keys, [...keys].reverse(), [...keys].sort(), ['c', 'a', 'e', 'b', 'd']];
    const hashes = permutations.map((order) => {
      const record = Object.fromEntries(order.map((key) => [key, `value of ${key}`]));
      return portableInputHash({
        ...withSources(shared, { clone: { ...sources.clone, changes: record }, injected: record, buildArgs: record }),
        baseImages: record,
      });
    });
    expect(new Set(hashes).size).toBe(1);
  });

  it('pins the scheme: if this changes on purpose, bump INPUT_HASH_VERSION', () => {
    expect(INPUT_HASH_VERSION).toBe('local-dev-image-v3');
    expect(portableInputHash(shared)).toBe('d9a030127cdec16c3ac218c3cbcce6e87abe0873c5761aee8a111d4e49098f4a');
  });

  it('is the same in two workspaces and namespaces (and with other secret contents) for a shareable image', () => {
    expect(portableInputHash(withSources(shared, { workspace: 'ws2', namespace: 's2', secrets: { 'config/local.yaml': 's2' } }))).toBe(
      portableInputHash(shared),
    );
  });

  it.each<[string, PortableInputs]>([
    ['the Dockerfile', withSources(shared, { dockerfile: 'FROM busybox:1.36\nRUN true\n' })],
    ['a non-secret injected file', withSources(shared, { injected: { '.vscode/launch.json': 'h2' } })],
    ['a build arg', withSources(shared, { buildArgs: { A: '1', B: '3' } })],
    ["a build arg's name", withSources(shared, { buildArgs: { A: '1', C: '2' } })],
    ['the commit (its tree)', withSources(shared, { clone: { ...sources.clone, tree: 'b'.repeat(40) } })],
    ['an edit', withSources(shared, { clone: { ...sources.clone, changes: { ...sources.clone.changes, 'a.txt': '-:9' } } })],
    ['a new untracked file', withSources(shared, { clone: { ...sources.clone, changes: { ...sources.clone.changes, 'c.txt': '-:3' } } })],
    ['a chmod +x', withSources(shared, { clone: { ...sources.clone, changes: { ...sources.clone.changes, 'a.txt': 'x:1' } } })],
    // A worker built from the same clone and Dockerfile as its service still gets its own image.
    ['the service', withSources(shared, { service: 'oms-worker' })],
    ['a different base image id', { ...shared, baseImages: { 'busybox:1.36': 'sha256:b2' } }],
    // A multi-arch base's RepoDigest (its index) is the same on both: the image built on it is not.
    ["the engine's architecture (same base digest)", { ...shared, platform: 'linux/arm64' }],
    ["the engine's os", { ...shared, platform: 'windows/amd64' }],
    ['the image holding the secrets or not', holding],
  ])('changes with %s', (_what, changed) => {
    expect(portableInputHash(changed)).not.toBe(portableInputHash(shared));
  });

  it("mixes a secret file's content, the workspace and the namespace in only when the image holds the secrets (local-only)", () => {
    for (const change of [{ secrets: { 'config/local.yaml': 's2' } }, { workspace: 'ws2' }, { namespace: 's2' }]) {
      expect(portableInputHash(withSources(holding, change))).not.toBe(portableInputHash(holding));
      expect(portableInputHash(withSources(shared, change))).toBe(portableInputHash(shared));
    }
  });
});

describe('localImageHash (the local tag)', () => {
  const portable = portableInputHash(shared);
  it('is scoped to the workspace and namespace: two checkouts never share a tag', () => {
    expect(localImageHash(portable, { ...sources, workspace: 'ws2' })).not.toBe(localImageHash(portable, sources));
    expect(localImageHash(portable, { ...sources, namespace: 's2' })).not.toBe(localImageHash(portable, sources));
  });
  it("changes with a secret file's content (the container is replaced and gets the new file at up) and with the portable hash", () => {
    expect(localImageHash(portable, { ...sources, secrets: { 'config/local.yaml': 's2' } })).not.toBe(localImageHash(portable, sources));
    expect(localImageHash(portableInputHash(holding), sources)).not.toBe(localImageHash(portable, sources));
  });
});

describe('sourceHash (what Nx hashes build-image with)', () => {
  it.each<[string, Partial<SourceInputs>]>([
    ['the namespace', { namespace: 's2' }],
    ['the workspace', { workspace: 'ws2' }],
    ['a secret file', { secrets: { 'config/local.yaml': 's2' } }],
    ['an edit', { clone: { ...sources.clone, changes: { 'a.txt': '-:9' } } }],
    ['the Dockerfile', { dockerfile: 'FROM scratch\n' }],
    ['a build arg', { buildArgs: { A: '2' } }],
    ['a non-secret injected file', { injected: {} }],
  ])('changes with %s', (_what, change) => {
    expect(sourceHash({ ...sources, ...change })).not.toBe(sourceHash(sources));
  });
});

describe('changedPaths (git status --porcelain=v2 -z)', () => {
  it('lists changed, unmerged, renamed and untracked paths, names with spaces included', () => {
    const output = [
      '1 .M N... 100644 100644 100644 aaa aaa src/a b.py',
      'u UU N... 100644 100644 100644 100644 aaa bbb ccc conflict.txt',
      '2 R. N... 100644 100644 100644 aaa aaa R100 new.txt',
      'old.txt',
      '? untracked dir/x.txt',
      '',
    ].join('\0');
    expect(changedPaths(output)).toEqual(['src/a b.py', 'conflict.txt', 'new.txt', 'old.txt', 'untracked dir/x.txt']);
  });
});

describe('readCloneState (real git)', () => {
  let clone: string;
  const git = (...args: string[]) => execFileSync('git', ['-c', 'user.email=t@t.invalid', '-c', 'user.name=t', ...args], { cwd: clone, encoding: 'utf8' });

  beforeEach(() => {
    clone = mkdtempSync(path.join(tmpdir(), 'local-dev-hash-'));
    git('init', '-q', '-b', 'main');
    writeFileSync(path.join(clone, 'main.go'), 'package main\n');
    git('add', '-A');
    git('commit', '-q', '-m', 'one');
  });
  afterEach(() => rmSync(clone, { recursive: true, force: true }));
  /** What the build context sends beyond the commit, as serviceSources reads it (no injected file here). */
  const contextState = async (folder = clone, ignoreText = ''): Promise<ContextContent> =>
    contextContent(folder, await readCloneState(folder), contextFiles(folder, ignoreText, new Set(['.git'])), new Set());

  it('sees edits, untracked files and commits; a file the .dockerignore excludes is not sent, so not seen', async () => {
    const clean = await contextState(clone, 'secrets.py\n');
    writeFileSync(path.join(clone, 'secrets.py'), 'TOKEN = 1\n');
    expect(await contextState(clone, 'secrets.py\n')).toEqual(clean);
    rmSync(path.join(clone, 'secrets.py'));

    writeFileSync(path.join(clone, 'main.go'), 'package main // edited\n');
    const edited = await contextState();
    expect(edited.changes['main.go']).toBe(`-:${sha256('package main // edited\n')}`);

    writeFileSync(path.join(clone, 'new.go'), 'package main\n');
    const withNew = await contextState();
    expect(Object.keys(withNew.changes)).toEqual(['main.go', 'new.go']);
    writeFileSync(path.join(clone, 'new.go'), 'package main // changed\n');
    expect((await contextState()).changes['new.go']).not.toBe(withNew.changes['new.go']);
    chmodSync(path.join(clone, 'new.go'), 0o755);
    expect((await contextState()).changes['new.go']).toBe(`x:${sha256('package main // changed\n')}`);

    git('add', '-A');
    git('commit', '-q', '-m', 'two');
    const committed = await contextState();
    expect(committed.tree).not.toBe(clean.tree);
    expect(committed.changes).toEqual({});
  });

  it("counts an untracked nested repository's files as the build context sends them (not its .git)", async () => {
    const nested = path.join(clone, 'vendored');
    execFileSync('git', ['init', '-q', nested]);
    writeFileSync(path.join(nested, 'x.go'), 'package x\n');
    expect((await contextState()).changes).toEqual({ 'vendored/x.go': `-:${sha256('package x\n')}` });
  });

  it("counts a git-ignored file COPY . sends (a .env), whatever the user's global excludes say", async () => {
    writeFileSync(path.join(clone, '.gitignore'), '.env\n');
    git('add', '.gitignore');
    git('commit', '-q', '-m', 'ignore .env');
    writeFileSync(path.join(clone, '.env'), 'MODE=a\n');
    writeFileSync(path.join(clone, 'notes.txt'), 'untracked\n');
    const withA = await contextState();
    expect(withA.changes['.env']).toBe(`-:${sha256('MODE=a\n')}`);
    writeFileSync(path.join(clone, '.env'), 'MODE=b\n');
    const withB = await contextState();
    expect(withB).not.toEqual(withA);
    // A user whose global excludes hide *.env and notes.txt: the same content, the same state.
    const excludes = path.join(clone, '..', `${path.basename(clone)}-excludes`);
    const globalConfig = path.join(clone, '..', `${path.basename(clone)}-gitconfig`);
    writeFileSync(excludes, '*.env\nnotes.txt\n');
    writeFileSync(globalConfig, `[core]\n\texcludesFile = ${excludes}\n`);
    const before = process.env.GIT_CONFIG_GLOBAL;
    process.env.GIT_CONFIG_GLOBAL = globalConfig;
    try {
      expect(await contextState()).toEqual(withB);
    } finally {
      if (before === undefined) delete process.env.GIT_CONFIG_GLOBAL;
      else process.env.GIT_CONFIG_GLOBAL = before;
      rmSync(excludes);
      rmSync(globalConfig);
    }
  });

  it("is the same in two clones of one commit with the same edits, whatever each user's git diff config says", async () => {
    const other = mkdtempSync(path.join(tmpdir(), 'local-dev-hash-other-'));
    try {
      execFileSync('git', ['clone', '-q', clone, other]);
      for (const folder of [clone, other]) {
        writeFileSync(path.join(folder, 'main.go'), 'package main // edited\n');
        writeFileSync(path.join(folder, 'extra.go'), 'package main\n');
      }
      for (const [key, value] of [
        ['diff.noprefix', 'true'],
        ['diff.algorithm', 'patience'],
        ['diff.renames', 'copies'],
        ['status.relativePaths', 'false'],
      ]) {
        execFileSync('git', ['-C', other, 'config', key, value]);
      }
      expect(await contextState(other)).toEqual(await contextState(clone));
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('says to clone first when the folder is not a clone', async () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'local-dev-empty-'));
    try {
      await expect(readCloneState(empty)).rejects.toBeInstanceOf(DockerError);
      await expect(readCloneState(empty)).rejects.toThrow(`${empty} is not a git clone with a commit, so there is nothing to build`);
      await expect(readCloneState(empty)).rejects.toMatchObject({ fix: expect.stringContaining('clone') });
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('never takes the repository around a clone folder without its own .git (the workspace) for the clone', async () => {
    // cloned/half inside the workspace's repository: git would otherwise answer with the workspace's HEAD.
    const half = path.join(clone, 'cloned', 'half');
    mkdirSync(half, { recursive: true });
    await expect(readCloneState(half)).rejects.toThrow(`${half} is not a git clone with a commit, so there is nothing to build`);
  });
});

describe('hashFileOrAbsent', () => {
  it('hashes the content, and calls a file deleted since it was listed (or a folder) absent', () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'local-dev-hash-file-'));
    try {
      writeFileSync(path.join(folder, 'a.txt'), 'abc');
      expect(hashFileOrAbsent(path.join(folder, 'a.txt'))).toBe(sha256('abc'));
      expect(sha256('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
      expect(hashFileOrAbsent(path.join(folder, 'gone.txt'))).toBe('absent');
      expect(hashFileOrAbsent(folder)).toBe('absent');
      // Anything else is a real problem, not a state: a path through a file is not "absent".
      expect(() => hashFileOrAbsent(path.join(folder, 'a.txt', 'x'))).toThrow(expect.objectContaining({ code: 'ENOTDIR' }));
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
