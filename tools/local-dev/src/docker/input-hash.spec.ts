import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DockerError } from '../core/errors';
import { combineInputHash, hashFileOrAbsent, readCloneState, sha256, type ImageInputs } from './input-hash';

const inputs: ImageInputs = {
  service: 'oms-api',
  workspace: 'ws1',
  namespace: 's1',
  clone: { head: 'a'.repeat(40), diff: 'd', untracked: { 'b.txt': '2', 'a.txt': '1' } },
  dockerfile: 'FROM busybox:1.36\n',
  injected: { 'config/local.yaml': 'h1' },
  buildArgs: { B: '2', A: '1' },
};

describe('combineInputHash', () => {
  it('is stable and does not depend on the order records were filled in', () => {
    const reordered = { ...inputs, clone: { ...inputs.clone, untracked: { 'a.txt': '1', 'b.txt': '2' } }, buildArgs: { A: '1', B: '2' } };
    expect(combineInputHash(reordered)).toBe(combineInputHash(inputs));
    expect(combineInputHash(inputs)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('sorts every record, however it was filled in', () => {
    const keys = ['d', 'b', 'e', 'a', 'c'];
    const permutations = [keys, [...keys].reverse(), [...keys].sort(), ['c', 'a', 'e', 'b', 'd']];
    const hashes = permutations.map((order) => {
      const record = Object.fromEntries(order.map((key) => [key, `value of ${key}`]));
      return combineInputHash({ ...inputs, clone: { ...inputs.clone, untracked: record }, injected: record, buildArgs: record });
    });
    expect(new Set(hashes).size).toBe(1);
  });

  it('gives the same hash as earlier versions of local-dev for the same inputs, so an upgrade rebuilds nothing', () => {
    // If this changes on purpose, bump INPUT_HASH_VERSION: images of the old scheme must not be mistaken for new ones.
    expect(combineInputHash(inputs)).toBe('72b3e4eb46617ef7159f9a87f0f97c23ff9408a5025f025fb58d5ce813536559');
  });

  it.each<[string, Partial<ImageInputs>]>([
    ['the namespace', { namespace: 's2' }],
    ['the Dockerfile', { dockerfile: 'FROM busybox:1.36\nRUN true\n' }],
    ['an injected file', { injected: { 'config/local.yaml': 'h2' } }],
    ['a build arg', { buildArgs: { A: '1', B: '3' } }],
    ['the commit', { clone: { ...inputs.clone, head: 'b'.repeat(40) } }],
    ['an untracked file', { clone: { ...inputs.clone, untracked: { 'a.txt': '1' } } }],
    ['the workspace', { workspace: 'ws2' }],
    ['uncommitted edits to tracked files', { clone: { ...inputs.clone, diff: 'e' } }],
    // A worker built from the same clone and Dockerfile as its service still gets its own image.
    ['the service', { service: 'oms-worker' }],
    ['an injected file appearing', { injected: { ...inputs.injected, '.env': 'h3' } }],
    ["a build arg's name", { buildArgs: { A: '1', C: '2' } }],
  ])('changes with %s', (_what, change) => {
    expect(combineInputHash({ ...inputs, ...change })).not.toBe(combineInputHash(inputs));
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

  it('sees edits, untracked files and commits, but not files hidden by .git/info/exclude', async () => {
    const clean = await readCloneState(clone);
    appendFileSync(path.join(clone, '.git/info/exclude'), '/secrets.py\n');
    writeFileSync(path.join(clone, 'secrets.py'), 'TOKEN = 1\n');
    expect(await readCloneState(clone)).toEqual(clean);

    writeFileSync(path.join(clone, 'main.go'), 'package main // edited\n');
    const edited = await readCloneState(clone);
    expect(edited.diff).not.toBe(clean.diff);

    writeFileSync(path.join(clone, 'new.go'), 'package main\n');
    const withNew = await readCloneState(clone);
    expect(Object.keys(withNew.untracked)).toEqual(['new.go']);
    writeFileSync(path.join(clone, 'new.go'), 'package main // changed\n');
    expect((await readCloneState(clone)).untracked['new.go']).not.toBe(withNew.untracked['new.go']);

    git('add', '-A');
    git('commit', '-q', '-m', 'two');
    expect((await readCloneState(clone)).head).not.toBe(clean.head);
  });

  it('counts an untracked nested repository (a folder git lists as one entry) as present, without reading it', async () => {
    const nested = path.join(clone, 'vendored');
    execFileSync('git', ['init', '-q', nested]);
    writeFileSync(path.join(nested, 'x.go'), 'package x\n');
    expect((await readCloneState(clone)).untracked).toEqual({ 'vendored/': 'absent' });
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
